using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Switchboard.Catalog;
using Switchboard.Sealing;
using Switchboard.Store;

namespace Switchboard.Credentials;

/// <summary>An installed integration with what OAuth needs of it: its provider entry, params and decrypted secrets.</summary>
public sealed partial record IntegrationApp(Integration Row, ProviderDefinition Provider, JsonObject Params, IReadOnlyDictionary<string, string> Secrets)
{
    public string? Param(string name) => Params[name] is JsonValue v ? v.ToString() : Provider.Params.FirstOrDefault(f => f.Name == name)?.Default?.ToString();
    public string? Secret(string name) => Secrets.GetValueOrDefault(name);
    public string ClientId => Param("client_id") ?? "";
    public string ClientSecret => Secret("client_secret") ?? "";

    /// <summary>
    /// A catalog URL with this install's params filled in (host placeholders as validated host[:port], others escaped);
    /// null when it cannot be built, which callers treat as a failure of the flow, never as an exception.
    /// </summary>
    public Uri? Url(string template) => UrlTemplate.Build(template, Param);

    /// <summary>Fills {params.NAME} placeholders of a plain value (e.g. an extra authorize parameter, escaped later as a whole).</summary>
    public string FillValue(string template) => Placeholder().Replace(template, m => Param(m.Groups[1].Value) ?? "");

    [GeneratedRegex(@"\{params\.([a-z0-9_]+)\}")]
    private static partial Regex Placeholder();

    /// <summary>The integration row and its provider, without decrypting anything.</summary>
    public static async Task<(Integration? Row, ProviderDefinition? Provider)> FindAsync(SwitchboardDb db, AccountCatalog catalog,
        string accountId, Guid integrationId, CancellationToken ct)
    {
        var row = await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.AccountId == accountId && i.Id == integrationId, ct);
        if (row is null) return (null, null);
        return (row, await catalog.FindAsync(db, accountId, row.Provider, ct));
    }

    /// <summary>What the browser leg before the code exchange needs: params, no secret decrypted.</summary>
    public static IntegrationApp WithoutSecrets(Integration row, ProviderDefinition provider) =>
        new(row, provider, JsonNode.Parse(row.ParamsJson) as JsonObject ?? [], new Dictionary<string, string>());

    public static async Task<IntegrationApp?> LoadAsync(SwitchboardDb db, AccountCatalog catalog, SecretBox box,
        string accountId, Guid integrationId, CancellationToken ct)
    {
        var row = await db.Integrations.AsNoTracking().Include(i => i.Secrets)
            .FirstOrDefaultAsync(i => i.AccountId == accountId && i.Id == integrationId, ct);
        if (row is null) return null;
        var provider = await catalog.FindAsync(db, accountId, row.Provider, ct);
        if (provider is null) return null;
        var secrets = row.Secrets.ToDictionary(s => s.Name,
            s => SealedFields.SecretValue.Open(box, s));
        return new IntegrationApp(row, provider, JsonNode.Parse(row.ParamsJson) as JsonObject ?? [], secrets);
    }
}
