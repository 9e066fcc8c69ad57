using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Http.Outbound;

namespace Switchboard.Providers;

/// <summary>
/// Checks a custom provider against the catalog's JSON schema and rules. Two differences, because custom providers
/// exist to reach unlisted endpoints: the fixed Google token URL and AWS STS host are not required, and URLs follow
/// the outbound rules instead of the schema's https pattern: https to anything but a blocked address literal, plain
/// http only to an address inside Switchboard:Outbound:AllowedNetworks (see <see cref="OutboundPolicy.CheckUrl"/>).
/// </summary>
public sealed class CustomProviderValidator
{
    private const string HttpOrHttpsPattern = "^https?://[^\\s/?#]+(/[^\\s]*)?[^\\s/]$";
    private readonly JsonSchema _schema;
    private readonly OutboundPolicy _outbound;

    public CustomProviderValidator(OutboundPolicy outbound)
    {
        _outbound = outbound;
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(ProviderCatalog.DefaultDirectory, "provider.schema.json")))!.AsObject();
        node["definitions"]!["templatedHttpsUrl"]!["pattern"] = HttpOrHttpsPattern;
        foreach (var rule in node["allOf"]!.AsArray())
        {
            var props = rule?["then"]?["properties"];
            (props?["oauth"]?["properties"] as JsonObject)?.Remove("token_url");
            (props as JsonObject)?.Remove("api_base_url");
        }
        _schema = JsonSchema.FromJsonAsync(node.ToJsonString()).GetAwaiter().GetResult();
    }

    /// <summary>The fields each auth type needs (the schema says so with "contains", which the validator does not enforce).</summary>
    private static IEnumerable<FieldError> RequiredFields(ProviderDefinition p)
    {
        var (parameters, secrets) = p.AuthType switch
        {
            AuthTypes.OAuth2 or AuthTypes.OAuth2ClientCredentials => (new[] { "client_id" }, new[] { "client_secret" }),
            AuthTypes.GoogleServiceAccount => (["client_email"], ["private_key"]),
            AuthTypes.AwsAssumeRole => (["role_arn", "region"], ["access_key_id", "secret_access_key"]),
            _ => (Array.Empty<string>(), Array.Empty<string>()),
        };
        foreach (var name in parameters.Where(n => p.Params.All(f => f.Name != n)))
            yield return new FieldError("params", "required", $"{p.AuthType} providers declare a param '{name}'.");
        foreach (var name in secrets.Where(n => p.Secrets.All(f => f.Name != n)))
            yield return new FieldError("secrets", "required", $"{p.AuthType} providers declare a secret '{name}'.");
    }

    /// <summary>Every URL Switchboard (or the user's browser) is sent to, by the field that declares it.</summary>
    private IEnumerable<FieldError> Destinations(ProviderDefinition p)
    {
        var urls = new (string Field, string? Url)[]
        {
            ("api_base_url", p.ApiBaseUrl), ("oauth.authorize_url", p.Oauth?.AuthorizeUrl), ("oauth.token_url", p.Oauth?.TokenUrl),
            ("oauth.revoke_url", p.Oauth?.RevokeUrl),
        };
        foreach (var (field, url) in urls)
            if (url is not null && _outbound.CheckUrl(field, url) is { } error) yield return error;
        // An install that leaves a host param out gets its default, and an enum is the whole choice: check them as hosts too.
        var wholeHosts = ProviderRules.WholeHostParams(p).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < p.Params.Count; i++)
        {
            var f = p.Params[i];
            if (f.Format != FieldFormats.Host && !wholeHosts.Contains(f.Name)) continue;
            if (f.Default is { ValueKind: JsonValueKind.String } d && _outbound.CheckHost($"params[{i}].default", d.GetString()!) is { } bad)
                yield return bad;
            for (var j = 0; j < (f.Enum?.Count ?? 0); j++)
                if (_outbound.CheckHost($"params[{i}].enum[{j}]", f.Enum![j]) is { } badEnum) yield return badEnum;
        }
    }

    public (ProviderDefinition? Provider, List<FieldError> Errors) Validate(JsonElement body)
    {
        var errors = new List<FieldError>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$", "wrong_type", "The body must be a JSON object (a catalog entry)."));
            return (null, errors);
        }
        var text = body.GetRawText();
        ICollection<NJsonSchema.Validation.ValidationError> schemaErrors;
        // NJsonSchema throws (InvalidCastException) on an integer beyond 64 bits where it checks a number or a string.
        try { schemaErrors = _schema.Validate(text); }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException)
        {
            errors.Add(new("$", "schema", "A number is out of range (integers must fit in 64 bits)."));
            return (null, errors);
        }
        foreach (var e in schemaErrors)
            errors.Add(new(string.IsNullOrEmpty(e.Path) ? "$" : e.Path.TrimStart('#', '/').Replace('/', '.'), "schema", e.Kind.ToString()));
        if (errors.Count > 0) return (null, errors);
        ProviderDefinition? provider;
        try { provider = JsonSerializer.Deserialize<ProviderDefinition>(text, ProviderCatalog.Json); }
        catch (JsonException e) { errors.Add(new("$", "invalid", Problems.Truncate(e.Message, 200))); return (null, errors); }
        if (provider is null) { errors.Add(new("$", "invalid", "empty")); return (null, errors); }
        errors.AddRange(Destinations(provider));
        errors.AddRange(ProviderRules.Check(provider).Select(m => new FieldError("$", "invalid", m)));
        errors.AddRange(RequiredFields(provider));
        return errors.Count > 0 ? (null, errors) : (provider, errors);
    }
}
