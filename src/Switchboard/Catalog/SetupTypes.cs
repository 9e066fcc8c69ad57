namespace Switchboard.Catalog;

/// <summary>The RogerIQ "setup_type" of a provider, derived from its auth_type. One place for every surface.</summary>
public static class SetupTypes
{
    public const string OAuth = "oauth", ApiKey = "api_key", Basic = "basic", None = "none",
        AwsRole = "aws_role", ServiceAccount = "service_account";

    public static string For(string authType) => authType switch
    {
        AuthTypes.OAuth2 or AuthTypes.OAuth2ClientCredentials => OAuth,
        AuthTypes.ApiKey => ApiKey,
        AuthTypes.Basic => Basic,
        AuthTypes.None => None,
        AuthTypes.AwsAssumeRole => AwsRole,
        AuthTypes.GoogleServiceAccount => ServiceAccount,
        _ => throw new ArgumentOutOfRangeException(nameof(authType), authType, "unknown auth_type"),
    };

    public static string For(ProviderDefinition provider) => For(provider.AuthType);
}
