using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Catalog;

namespace Switchboard.Health;

/// <summary>
/// Builds the catalog's verify request for one install: {params.X} and {secrets.X} placeholders in the base URL,
/// path, headers and basic auth are filled in. The result holds secrets: it is sent, never logged or stored.
/// </summary>
public static partial class VerificationRequest
{
    [GeneratedRegex(@"\{(params|secrets)\.([A-Za-z0-9_]+)\}")]
    private static partial Regex Placeholder();

    public static (HttpRequestMessage? Request, HealthResult? NotVerifiable) Build(
        ProviderDefinition provider, string? baseUrlOverride, JsonObject parameters, IReadOnlyDictionary<string, string> secrets)
    {
        var verify = provider.Verify;
        if (verify is null) return (null, new(HealthStatuses.Unknown, "This provider has no verification request."));
        var templates = new[] { verify.Path, verify.BasicAuth?.Username, verify.BasicAuth?.Password }
            .Concat(verify.Headers?.Values.AsEnumerable() ?? []).Where(t => t is not null).ToList();
        // OAuth tokens come from the token store, which does not exist yet.
        if (templates.Any(t => t!.Contains("{access_token}", StringComparison.Ordinal)))
            return (null, new(HealthStatuses.Unknown, "Verification needs an OAuth access token; not checked yet."));

        var missing = new List<string>();
        string Fill(string template, bool escape) => Placeholder().Replace(template, m =>
        {
            var value = m.Groups[1].Value == "params" ? Param(provider, parameters, m.Groups[2].Value) : secrets.GetValueOrDefault(m.Groups[2].Value);
            if (value is null) { missing.Add($"{m.Groups[1].Value}.{m.Groups[2].Value}"); return ""; }
            return escape ? Uri.EscapeDataString(value) : value;
        });

        // Host placeholders go in as validated host[:port]; a base URL that cannot be built fails the URL check below.
        var baseUrl = (UrlTemplate.Fill(baseUrlOverride ?? provider.ApiBaseUrl, name =>
            Param(provider, parameters, name) is { } v ? v : Missing("params." + name)) ?? "").TrimEnd('/');
        string? Missing(string name) { missing.Add(name); return null; }
        var path = Fill(verify.Path, escape: true);
        var headers = (verify.Headers ?? []).Select(h => (h.Key, Value: Fill(h.Value, escape: false))).ToList();
        string? basic = null;
        if (verify.BasicAuth is { } auth)
            basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Fill(auth.Username, false)}:{Fill(auth.Password, false)}"));
        if (missing.Count > 0)
            return (null, new(HealthStatuses.Unknown, $"Verification needs {string.Join(", ", missing.Distinct())}, which is not set."));

        if (!Uri.TryCreate(baseUrl + (path.StartsWith('/') ? path : "/" + path), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return (null, new(HealthStatuses.Unknown, "The verification URL is not a valid http(s) URL."));

        var request = new HttpRequestMessage(new HttpMethod(verify.Method.ToUpperInvariant()), uri);
        foreach (var (name, value) in headers)
            if (value.Contains('\r') || value.Contains('\n') || !request.Headers.TryAddWithoutValidation(name, value))
                return (null, new(HealthStatuses.Unknown, $"The verification header {name} could not be built."));
        if (basic is not null) request.Headers.TryAddWithoutValidation("Authorization", "Basic " + basic);
        return (request, null);
    }

    private static string? Param(ProviderDefinition provider, JsonObject parameters, string name)
    {
        var node = parameters[name];
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (node is not null) return node.ToJsonString();
        var declared = provider.Params.FirstOrDefault(f => f.Name == name)?.Default;
        return declared switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } d => d.GetString(),
            { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
            var d => d.Value.GetRawText(),
        };
    }
}
