using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Switchboard.Catalog;
using Switchboard.Store;

namespace Switchboard.Integrations;

/// <summary>handlers.ThirdPartyIntegration: a catalog entry merged with this project's install, if any.</summary>
public sealed record IntegrationView(
    Guid Id,
    string Name,
    string DisplayName,
    string Description,
    string Category,
    string AuthType,
    string Status,
    DateTime? InstalledAt,
    JsonObject Params,
    IReadOnlyList<SecretView> Secrets,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldView>? ParamSchema,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldView>? SecretSchema,
    string ApiBaseUrl,
    string DocsUrl,
    string LogoUrl,
    DateTime? CreatedAt,
    DateTime? UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? AllowedRedirectOrigins = null)
{
    /// <summary>The full entry, with the params and secrets schema; list pages leave the schema out (summary = true).</summary>
    public static IntegrationView From(ProviderDefinition p, string projectId, InstalledRow? row, bool summary = false) => new(
        row?.Id ?? IntegrationIds.For(projectId, p.Name),
        p.Name,
        p.DisplayName,
        p.Description,
        p.Category,
        p.AuthType,
        row is null ? "available" : IntegrationStatus.KatavenView(row.Status),
        row?.InstalledAt,
        row is null ? [] : (JsonNode.Parse(row.ParamsJson) as JsonObject ?? []),
        row?.Secrets.OrderBy(s => s.Name, StringComparer.Ordinal).ToArray() ?? [],
        summary ? null : FieldView.From(p.Params),
        summary ? null : FieldView.From(p.Secrets),
        p.ApiBaseUrl,
        p.DocsUrl,
        p.LogoUrl,
        row?.CreatedAt,
        row?.UpdatedAt,
        Http.AllowedRedirectOrigins.Parse(row?.AllowedRedirectOriginsJson));
}

public sealed record FieldView(string Name, string Type, bool Required, string? Description, string? Pattern, IReadOnlyList<string>? Enum)
{
    public static IReadOnlyList<FieldView> From(IEnumerable<FieldDefinition> fields) =>
        fields.Select(f => new FieldView(f.Name, f.Type, f.Required, f.Description, f.Pattern, f.Enum)).ToArray();
}

public sealed record IntegrationList(IReadOnlyList<IntegrationView> Integrations, IntegrationCounts Counts, string? NextCursor);

public sealed record IntegrationCounts(int Total, int Installed, int Available, IReadOnlyDictionary<string, int> ByCategory);
