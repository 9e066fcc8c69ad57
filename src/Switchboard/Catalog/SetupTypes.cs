namespace Switchboard.Catalog;

/// <summary>The seed's setup_type: how a provider's credential is collected, derived from its auth_type.</summary>
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
}
