using System.Text.Json.Serialization;

namespace Switchboard.Catalog;

/// <summary>One provider of the catalog, as stored in Catalog/providers/*.json (schema: provider.schema.json).</summary>
public sealed class ProviderDefinition
{
    [JsonPropertyName("$schema")] public string? Schema { get; init; }
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    public required string Description { get; init; }
    public required string Category { get; init; }
    public required string AuthType { get; init; }
    public required string ApiBaseUrl { get; init; }
    public required string DocsUrl { get; init; }
    public required string LogoUrl { get; init; }
    public List<FieldDefinition> Params { get; init; } = [];
    public List<FieldDefinition> Secrets { get; init; } = [];
    public OAuthDefinition? Oauth { get; init; }
    public VerifyDefinition? Verify { get; init; }
    /// <summary>How requests made for an install carry its credential (see <see cref="InjectDefinition"/>).</summary>
    public InjectDefinition? Inject { get; init; }
}

public sealed class FieldDefinition
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public bool Required { get; init; }
    /// <summary>"host": the value names a server to connect to (host[:port]); checked against the outbound rules.</summary>
    public string? Format { get; init; }
    public string? Pattern { get; init; }
    public string? Description { get; init; }
    public List<string>? Enum { get; init; }
    public System.Text.Json.JsonElement? Default { get; init; }
}

public sealed class OAuthDefinition
{
    public string? AuthorizeUrl { get; init; }
    public required string TokenUrl { get; init; }
    public string? RevokeUrl { get; init; }
    public List<string> DefaultScopes { get; init; } = [];
    public string ScopeSeparator { get; init; } = " ";
    public bool Pkce { get; init; }
    public Dictionary<string, string>? ExtraAuthorizeParams { get; init; }
}

public sealed class VerifyDefinition
{
    public string Method { get; init; } = "GET";
    public required string Path { get; init; }
    public Dictionary<string, string>? Headers { get; init; }
    public BasicAuthDefinition? BasicAuth { get; init; }
    public List<int>? ExpectStatus { get; init; }
}

public sealed class BasicAuthDefinition
{
    public required string Username { get; init; }
    public required string Password { get; init; }
}

public static class AuthTypes
{
    public const string None = "NONE", ApiKey = "API_KEY", Basic = "BASIC", OAuth2 = "OAUTH2",
        OAuth2ClientCredentials = "OAUTH2_CLIENT_CREDENTIALS", AwsAssumeRole = "AWS_ASSUME_ROLE",
        GoogleServiceAccount = "GOOGLE_SERVICE_ACCOUNT";

    public static readonly string[] All = [None, ApiKey, Basic, OAuth2, OAuth2ClientCredentials, AwsAssumeRole, GoogleServiceAccount];
}

public static class FieldTypes
{
    public static readonly string[] All = ["string", "integer", "number", "boolean", "url", "email"];
}

public static class FieldFormats
{
    public const string Host = "host";
}
