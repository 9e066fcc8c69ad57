using System.Text.Json;
using System.Text.RegularExpressions;
using NJsonSchema;

namespace Switchboard.Catalog;

/// <summary>The built-in providers, loaded and validated once at start. Invalid data stops the process.</summary>
public sealed class ProviderCatalog
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private readonly Dictionary<string, ProviderDefinition> _byName;

    public IReadOnlyList<ProviderDefinition> Providers { get; }

    public ProviderCatalog(IEnumerable<ProviderDefinition> providers)
    {
        Providers = providers.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        _byName = Providers.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    public ProviderDefinition? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>A built-in provider whose project-scoped id is <paramref name="id"/>.</summary>
    public ProviderDefinition? FindById(string projectId, Guid id) =>
        Providers.FirstOrDefault(p => IntegrationIds.For(projectId, p.Name) == id);

    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "Catalog");

    /// <summary>Loads every providers/*.json under <paramref name="directory"/>; throws listing every problem found.</summary>
    public static ProviderCatalog Load(string directory)
    {
        var schema = JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(directory, "provider.schema.json"))).GetAwaiter().GetResult();
        var errors = new List<string>();
        var providers = new List<ProviderDefinition>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(directory, "providers"), "*.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            var text = File.ReadAllText(file);
            var schemaErrors = schema.Validate(text);
            if (schemaErrors.Count > 0)
            {
                errors.AddRange(schemaErrors.Select(e => $"{name}: {e.Path}: {e.Kind}"));
                continue;
            }
            ProviderDefinition? provider;
            try { provider = JsonSerializer.Deserialize<ProviderDefinition>(text, Json); }
            catch (JsonException e) { errors.Add($"{name}: {e.Message}"); continue; }
            if (provider is null) { errors.Add($"{name}: empty"); continue; }
            if (provider.Name + ".json" != name) errors.Add($"{name}: name '{provider.Name}' does not match the file name");
            errors.AddRange(ProviderRules.Check(provider).Select(e => $"{name}: {e}"));
            providers.Add(provider);
        }
        if (providers.Count == 0) errors.Add("no providers found");
        if (errors.Count > 0) throw new InvalidDataException("Provider catalog is invalid:\n  " + string.Join("\n  ", errors));
        return new ProviderCatalog(providers);
    }
}

/// <summary>Checks the schema cannot express: patterns compile, placeholders name declared fields, OAuth shape.</summary>
public static partial class ProviderRules
{
    [GeneratedRegex(@"\{(params|secrets)\.([a-z0-9_]+)\}")]
    private static partial Regex Placeholder();

    public static IEnumerable<string> Check(ProviderDefinition p)
    {
        var fields = p.Params.Concat(p.Secrets).ToList();
        foreach (var dup in fields.GroupBy(f => f.Name).Where(g => g.Count() > 1))
            yield return $"field '{dup.Key}' is declared twice";
        foreach (var f in fields)
        {
            if (!FieldTypes.All.Contains(f.Type)) yield return $"field '{f.Name}' has unknown type '{f.Type}'";
            if (f.Pattern is not null && !PatternCompiles(f.Pattern)) yield return $"field '{f.Name}' has a pattern that does not compile";
            if (f.Format is not null && (f.Format != FieldFormats.Host || f.Type != "string"))
                yield return $"field '{f.Name}': format '{f.Format}' is only known as \"host\" on a string field";
        }
        if (!AuthTypes.All.Contains(p.AuthType)) yield return $"unknown auth_type '{p.AuthType}'";
        var needsOAuth = p.AuthType is AuthTypes.OAuth2 or AuthTypes.OAuth2ClientCredentials or AuthTypes.GoogleServiceAccount;
        if (needsOAuth && p.Oauth is null) yield return "oauth section is required for " + p.AuthType;
        if (!needsOAuth && p.Oauth is not null) yield return "oauth section is only for OAuth auth types";
        if (p.AuthType == AuthTypes.OAuth2 && p.Oauth?.AuthorizeUrl is null) yield return "OAUTH2 needs oauth.authorize_url";

        var templated = new List<string?> { p.ApiBaseUrl, p.Oauth?.AuthorizeUrl, p.Oauth?.TokenUrl, p.Oauth?.RevokeUrl, p.Verify?.Path,
            p.Verify?.BasicAuth?.Username, p.Verify?.BasicAuth?.Password };
        if (p.Verify?.Headers is { } headers) templated.AddRange(headers.Values);
        foreach (Match m in templated.Where(t => t is not null).SelectMany(t => Placeholder().Matches(t!)))
        {
            var declared = m.Groups[1].Value == "params" ? p.Params : p.Secrets;
            if (declared.All(f => f.Name != m.Groups[2].Value)) yield return $"placeholder {m.Value} names no declared field";
        }
        foreach (var e in InjectRules.Check(p)) yield return e;
        // A value that becomes a URL's whole host decides where requests (and credentials) go: it must be checked as a host.
        foreach (var url in new[] { p.ApiBaseUrl, p.Oauth?.AuthorizeUrl, p.Oauth?.TokenUrl, p.Oauth?.RevokeUrl })
        {
            if (url is null || WholeHostPlaceholder().Match(url) is not { Success: true } whole) continue;
            var field = (whole.Groups[1].Value == "params" ? p.Params : p.Secrets).FirstOrDefault(f => f.Name == whole.Groups[2].Value);
            if (field is not null && field.Format != FieldFormats.Host && field.Enum is not { Count: > 0 })
                yield return $"field '{field.Name}' is the whole host of {url}: declare \"format\": \"host\" (or an enum)";
        }
    }

    /// <summary>Names of the params that become the whole host of one of the provider's URLs.</summary>
    public static IEnumerable<string> WholeHostParams(ProviderDefinition p) =>
        new[] { p.ApiBaseUrl, p.Oauth?.AuthorizeUrl, p.Oauth?.TokenUrl, p.Oauth?.RevokeUrl }
            .Select(url => url is null ? null : WholeHostPlaceholder().Match(url))
            .Where(m => m is { Success: true } && m.Groups[1].Value == "params")
            .Select(m => m!.Groups[2].Value).Distinct();

    [GeneratedRegex(@"^https?://\{(params|secrets)\.([a-z0-9_]+)\}(?:[/?#:]|$)")]
    private static partial Regex WholeHostPlaceholder();

    private static bool PatternCompiles(string pattern)
    {
        try { _ = new Regex(pattern, RegexOptions.ECMAScript, TimeSpan.FromMilliseconds(100)); return true; }
        catch (ArgumentException) { return false; }
    }
}
