using System.Net;
using System.Text.Json;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Outbound;

public static class OutboundFixtures
{
    public static object Field(string name, string type = "string") => new { name, type, required = true, description = name };

    /// <summary>A custom end-user OAuth provider; the authorize URL is only ever visited by the (test's) browser.</summary>
    public static Dictionary<string, object?> OAuthProvider(string name, string tokenUrl, string? revokeUrl = null,
        string authorizeUrl = "https://auth.example.com/authorize", string apiBaseUrl = "https://api.example.com") => new()
    {
        ["name"] = name, ["display_name"] = name, ["description"] = "SSRF test provider.", ["category"] = "developer_tools",
        ["auth_type"] = "OAUTH2", ["api_base_url"] = apiBaseUrl, ["docs_url"] = "https://example.com/docs",
        ["logo_url"] = "https://example.com/logo.png",
        ["params"] = new[] { Field("client_id") }, ["secrets"] = new[] { Field("client_secret") },
        ["oauth"] = new Dictionary<string, object?>
        {
            ["authorize_url"] = authorizeUrl, ["token_url"] = tokenUrl, ["revoke_url"] = revokeUrl,
            ["default_scopes"] = new[] { "read" }, ["pkce"] = true,
        }.Where(p => p.Value is not null).ToDictionary(),
    };

    public static async Task<string> InstallOAuthAsync(TestAccount account, Dictionary<string, object?> provider)
    {
        await (await account.Client().PostJson("/api/v1/providers", provider)).ShouldBe(HttpStatusCode.Created);
        var installed = await (await account.Client().PostJson($"/api/v1/integrations/{provider["name"]}/install",
            new { @params = new { client_id = "switchboard-app" }, secrets = new { client_secret = "CLIENT-SECRET-must-not-leave" } })).ShouldBe(HttpStatusCode.OK);
        return installed["id"]!.GetValue<string>();
    }

    /// <summary>A machine-token provider (client credentials, Google service account or AWS assume-role), installed.</summary>
    public static async Task<string> InstallMachineAsync(TestAccount account, string name, string authType, string apiBaseUrl, string? tokenUrl)
    {
        object[] parameters, secrets;
        object values, secretValues;
        if (authType == "OAUTH2_CLIENT_CREDENTIALS")
        {
            (parameters, secrets) = ([Field("client_id")], [Field("client_secret")]);
            (values, secretValues) = (new { client_id = "machine" }, new { client_secret = "MACHINE-SECRET-must-not-leave" });
        }
        else if (authType == "GOOGLE_SERVICE_ACCOUNT")
        {
            (parameters, secrets) = ([Field("client_email", "email")], [Field("private_key")]);
            using var key = System.Security.Cryptography.RSA.Create(2048);
            (values, secretValues) = (new { client_email = "robot@project.iam.gserviceaccount.com" }, new { private_key = key.ExportPkcs8PrivateKeyPem() });
        }
        else
        {
            (parameters, secrets) = ([Field("role_arn"), Field("region")], [Field("access_key_id"), Field("secret_access_key")]);
            (values, secretValues) = (new { role_arn = "arn:aws:iam::123456789012:role/demo", region = "eu-west-1" },
                new { access_key_id = "AKIAIOSFODNN7EXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
        }
        var provider = new Dictionary<string, object?>
        {
            ["name"] = name, ["display_name"] = name, ["description"] = "SSRF test provider.", ["category"] = "cloud", ["auth_type"] = authType,
            ["api_base_url"] = apiBaseUrl, ["docs_url"] = "https://example.com/docs", ["logo_url"] = "https://example.com/logo.png",
            ["params"] = parameters, ["secrets"] = secrets,
        };
        if (tokenUrl is not null)
            provider["oauth"] = new { token_url = tokenUrl, default_scopes = new[] { "https://www.googleapis.com/auth/cloud-platform" }, pkce = false };
        await (await account.Client().PostJson("/api/v1/providers", provider)).ShouldBe(HttpStatusCode.Created);
        var installed = await (await account.Client().PostJson($"/api/v1/integrations/{name}/install",
            new { @params = values, secrets = secretValues })).ShouldBe(HttpStatusCode.OK);
        return installed["id"]!.GetValue<string>();
    }

    /// <summary>
    /// Plays the browser without visiting the provider: opens the start URL, takes the state from the redirect to the
    /// authorize URL and comes back to the callback with a code. Returns the callback's redirect.
    /// </summary>
    public static async Task<Uri> CallbackWithCodeAsync(SwitchboardApp app, TestAccount account, string cid, string userId)
    {
        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, userId, "https://app.example.com/done");
        var providerUrl = await OAuthDriver.StartAsync(app, authUrl);
        var state = OAuthDriver.Query(new Uri(providerUrl))["state"];
        var callback = await OAuthDriver.CallbackAsync(app, $"{OAuthDriver.PublicBase}/api/v1/oauth/callback?code=the-code&state={Uri.EscapeDataString(state)}");
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        return callback.Headers.Location!;
    }

    public static (string Host, string Feature) Parse(string dataJson)
    {
        using var doc = JsonDocument.Parse(dataJson);
        return (doc.RootElement.GetProperty("host").GetString()!, doc.RootElement.GetProperty("feature").GetString()!);
    }
}
