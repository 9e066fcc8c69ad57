using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Switchboard.Catalog;

/// <summary>
/// How a request to the provider carries the install's credential (provider.schema.json, "inject"). The invoke path and
/// the proxy apply it; the caller never supplies credentials. Templates use {params.X}, {secrets.X} and {access_token}
/// (token auth types only); a header or query parameter naming an optional field that is unset is left out.
/// </summary>
public sealed class InjectDefinition
{
    /// <summary>Header name → value template, e.g. Authorization → "Bearer {secrets.api_key}".</summary>
    public Dictionary<string, string>? Headers { get; init; }

    /// <summary>Query parameter name → value template.</summary>
    public Dictionary<string, string>? Query { get; init; }

    /// <summary>HTTP Basic pair; the templates are filled in, then "username:password" is base64-encoded.</summary>
    public BasicAuthDefinition? BasicAuth { get; init; }

    /// <summary>AWS Signature V4 with the assumed role's credentials (AWS_ASSUME_ROLE only).</summary>
    [JsonPropertyName("aws_sigv4")] public AwsSigV4Definition? AwsSigV4 { get; init; }

    /// <summary>Every template of this spec, in a fixed order (headers, query, basic auth, SigV4 region).</summary>
    public IEnumerable<string> Templates() =>
        (Headers?.Values ?? Enumerable.Empty<string>())
        .Concat(Query?.Values ?? Enumerable.Empty<string>())
        .Concat(BasicAuth is { } b ? [b.Username, b.Password] : [])
        .Concat(AwsSigV4 is { } s ? [s.Region] : []);
}

public sealed class AwsSigV4Definition
{
    public required string Service { get; init; }
    public required string Region { get; init; }
}

/// <summary>Checks on an inject spec that the schema cannot express; called from <see cref="ProviderRules"/>.</summary>
public static partial class InjectRules
{
    public const string AccessToken = "{access_token}";

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex AnyPlaceholder();

    [GeneratedRegex(@"^\{(params|secrets)\.([a-z0-9_]+)\}$")]
    private static partial Regex FieldPlaceholder();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]*$")]
    private static partial Regex HeaderName();

    /// <summary>Auth types whose requests carry an access token obtained by Switchboard.</summary>
    public static bool UsesAccessToken(string authType) =>
        authType is AuthTypes.OAuth2 or AuthTypes.OAuth2ClientCredentials or AuthTypes.GoogleServiceAccount;

    public static IEnumerable<string> Check(ProviderDefinition p)
    {
        var inject = p.Inject;
        if (inject is null) yield break;
        if (p.AuthType == AuthTypes.None) { yield return "inject: a NONE provider has no credential to inject"; yield break; }
        if (inject.Headers is null && inject.Query is null && inject.BasicAuth is null && inject.AwsSigV4 is null)
            yield return "inject: names no header, query parameter, basic_auth or aws_sigv4";

        foreach (var name in inject.Headers?.Keys ?? Enumerable.Empty<string>())
            if (!HeaderName().IsMatch(name)) yield return $"inject: '{name}' is not a header name";
        if (inject.BasicAuth is not null && inject.Headers?.Keys.Any(k => k.Equals("Authorization", StringComparison.OrdinalIgnoreCase)) == true)
            yield return "inject: basic_auth and an Authorization header both set Authorization";
        if (inject.Templates().Any(t => t.Contains('\r') || t.Contains('\n'))) yield return "inject: a template contains a line break";

        var isAws = p.AuthType == AuthTypes.AwsAssumeRole;
        if (isAws && (inject.AwsSigV4 is null || inject.Headers is not null || inject.Query is not null || inject.BasicAuth is not null))
            yield return "inject: AWS_ASSUME_ROLE providers are signed with aws_sigv4 and nothing else";
        if (!isAws && inject.AwsSigV4 is not null) yield return "inject: aws_sigv4 is only for AWS_ASSUME_ROLE";

        var placeholders = inject.Templates().SelectMany(t => AnyPlaceholder().Matches(t).Select(m => m.Value)).ToList();
        foreach (var ph in placeholders.Distinct())
        {
            if (ph == AccessToken)
            {
                if (!UsesAccessToken(p.AuthType)) yield return $"inject: {AccessToken} is only for OAuth and service-account providers";
                continue;
            }
            var m = FieldPlaceholder().Match(ph);
            if (!m.Success) { yield return $"inject: placeholder {ph} is not {{params.NAME}}, {{secrets.NAME}} or {AccessToken}"; continue; }
            var declared = m.Groups[1].Value == "params" ? p.Params : p.Secrets;
            if (declared.All(f => f.Name != m.Groups[2].Value)) yield return $"inject: placeholder {ph} names no declared field";
        }
        if (UsesAccessToken(p.AuthType) && !placeholders.Contains(AccessToken))
            yield return $"inject: {p.AuthType} providers send the access token; no template uses {AccessToken}";
        if ((p.AuthType is AuthTypes.ApiKey or AuthTypes.Basic) && !placeholders.Any(ph => ph.StartsWith("{secrets.", StringComparison.Ordinal)))
            yield return $"inject: {p.AuthType} providers send a secret; no template uses {{secrets.NAME}}";
    }
}
