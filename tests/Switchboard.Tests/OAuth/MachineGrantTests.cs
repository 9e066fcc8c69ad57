using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

[Collection("oauth")]
public sealed class MachineGrantTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    private static Dictionary<string, object?> Provider(string name, string authType, string baseUrl, object[] parameters, object[] secrets,
        object? oauth) => new()
    {
        ["name"] = name, ["display_name"] = name, ["description"] = "Test provider.", ["category"] = "cloud", ["auth_type"] = authType,
        ["api_base_url"] = baseUrl, ["docs_url"] = "https://example.com/docs", ["logo_url"] = "https://example.com/logo.png",
        ["params"] = parameters, ["secrets"] = secrets, ["oauth"] = oauth,
    };

    private static object Field(string name, string type = "string", bool required = true) => new { name, type, required, description = name };

    private static async Task<string> InstallAsync(TestAccount account, Dictionary<string, object?> provider, object parameters, object secrets)
    {
        if (provider["oauth"] is null) provider.Remove("oauth");
        await (await account.Client().PostJson("/api/v1/providers", provider)).ShouldBe(HttpStatusCode.Created);
        var installed = await (await account.Client().PostJson($"/api/v1/integrations/{provider["name"]}/install",
            new { @params = parameters, secrets })).ShouldBe(HttpStatusCode.OK);
        return installed["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task Client_credentials_tokens_are_fetched_on_demand_cached_encrypted_and_fetched_again_near_expiry()
    {
        var account = await app.CreateAccountAsync();
        var cid = await InstallAsync(account, Provider("machine_api", "OAUTH2_CLIENT_CREDENTIALS", idp.Issuer,
                [Field("client_id")], [Field("client_secret")],
                new { token_url = idp.Issuer + "/token", default_scopes = new[] { "api:read" }, pkce = false }),
            new { client_id = "sb-machine" }, new { client_secret = OAuthServer.Secret("sb-machine") });
        var before = await idp.CountsAsync();
        var url = $"/v1/integrations/{cid}/credentials";

        var first = await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.OK);
        var token = first["accessToken"]!.GetValue<string>();
        Assert.Equal(["api:read"], first["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        // Per-user route serves the same integration token.
        Assert.Equal(token, (await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/anyone/credentials")).ShouldBe(HttpStatusCode.OK))["accessToken"]!.GetValue<string>());
        Assert.Equal(1, (await idp.CountsAsync()).Of("sb-machine client_credentials") - before.Of("sb-machine client_credentials"));
        Assert.DoesNotContain(token, app.Logs.All);

        await RefreshTiming.WaitUntilDueAsync(first["expiresAt"]!.GetValue<DateTime>());
        var again = await (await account.Client().GetAsync(url)).ShouldBe(HttpStatusCode.OK);
        Assert.NotEqual(token, again["accessToken"]!.GetValue<string>());
        Assert.Equal(2, (await idp.CountsAsync()).Of("sb-machine client_credentials") - before.Of("sb-machine client_credentials"));
    }

    [Fact]
    public async Task A_google_service_account_token_comes_from_an_RS256_assertion_the_token_endpoint_verifies()
    {
        using var key = RSA.Create(2048);
        var publicKey = key.ExportParameters(false);
        var issued = 0;
        await using var google = await LoopbackStandIn.StartAsync(async ctx =>
        {
            var form = await ctx.Request.ReadFormAsync();
            if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer") return Results.BadRequest(new { error = "unsupported_grant_type" });
            var parts = form["assertion"].ToString().Split('.');
            using var verifier = RSA.Create(publicKey);
            var valid = parts.Length == 3 && verifier.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), B64(parts[2]),
                HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            if (!valid) return Results.BadRequest(new { error = "invalid_grant" });
            var header = JsonDocument.Parse(B64(parts[0])).RootElement;
            var claims = JsonDocument.Parse(B64(parts[1])).RootElement;
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var ok = header.GetProperty("alg").GetString() == "RS256"
                     && claims.GetProperty("iss").GetString() == "robot@project.iam.gserviceaccount.com"
                     && claims.GetProperty("aud").GetString() == $"{ctx.Request.Scheme}://{ctx.Request.Host}/token"
                     && claims.GetProperty("scope").GetString() == "https://www.googleapis.com/auth/cloud-platform"
                     && Math.Abs(claims.GetProperty("iat").GetInt64() - now) < 60 && claims.GetProperty("exp").GetInt64() > now;
            if (!ok) return Results.BadRequest(new { error = "invalid_grant" });
            return Results.Json(new { access_token = $"ya29.test-{Interlocked.Increment(ref issued)}", token_type = "Bearer", expires_in = 3600 });
        });

        var account = await app.CreateAccountAsync();
        object Provider_(string name) => Provider(name, "GOOGLE_SERVICE_ACCOUNT", google.Url, [Field("client_email", "email")], [Field("private_key")],
            new { token_url = google.Url + "/token", default_scopes = new[] { "https://www.googleapis.com/auth/cloud-platform" }, pkce = false });
        var cid = await InstallAsync(account, (Dictionary<string, object?>)Provider_("gsa"),
            new { client_email = "robot@project.iam.gserviceaccount.com" }, new { private_key = key.ExportPkcs8PrivateKeyPem() });

        var first = await (await account.Client().GetAsync($"/v1/integrations/{cid}/credentials")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("ya29.test-1", first["accessToken"]!.GetValue<string>());
        var cached = await (await account.Client().GetAsync($"/v1/integrations/{cid}/credentials")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("ya29.test-1", cached["accessToken"]!.GetValue<string>());
        Assert.Equal(1, google.Requests);

        // Signed with another key: the stand-in refuses the assertion, and so the read fails.
        using var wrong = RSA.Create(2048);
        var bad = await InstallAsync(account, (Dictionary<string, object?>)Provider_("gsa_wrong_key"),
            new { client_email = "robot@project.iam.gserviceaccount.com" }, new { private_key = wrong.ExportPkcs8PrivateKeyPem() });
        await (await account.Client().GetAsync($"/v1/integrations/{bad}/credentials")).ShouldBe(HttpStatusCode.BadGateway, "provider_rejected");
        Assert.Equal(1, google.Rejected);
        Assert.DoesNotContain("PRIVATE KEY", app.Logs.All);
    }

    [Fact]
    public async Task Aws_assume_role_is_signed_with_SigV4_verified_by_the_sts_stand_in_and_cached()
    {
        const string accessKeyId = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        string? seenRole = null;
        await using var sts = await LoopbackStandIn.StartAsync(async ctx =>
        {
            ctx.Request.EnableBuffering();
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8, leaveOpen: true);
            var body = await reader.ReadToEndAsync();
            if (!SigV4.Verify(ctx.Request, body, accessKeyId, secret, "eu-west-1", "sts"))
                return Results.Content("<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad signature</Message></Error><RequestId>r</RequestId></ErrorResponse>",
                    "text/xml", statusCode: 403);
            var form = QueryHelpersParse(body);
            if (form.GetValueOrDefault("Action") != "AssumeRole") return Results.StatusCode(400);
            seenRole = form.GetValueOrDefault("RoleArn");
            var expiration = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            return Results.Content($"""
                <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
                <AccessKeyId>ASIATEMPORARY0000001</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey>
                <SessionToken>session-token-1</SessionToken><Expiration>{expiration}</Expiration></Credentials>
                <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/switchboard</Arn><AssumedRoleId>AROA1:switchboard</AssumedRoleId></AssumedRoleUser>
                </AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></AssumeRoleResponse>
                """, "text/xml");
        });

        var account = await app.CreateAccountAsync();
        Dictionary<string, object?> Def(string name) => Provider(name, "AWS_ASSUME_ROLE", sts.Url, [Field("role_arn"), Field("region")],
            [Field("access_key_id"), Field("secret_access_key")], null);
        var cid = await InstallAsync(account, Def("aws_local"), new { role_arn = "arn:aws:iam::123456789012:role/demo", region = "eu-west-1" },
            new { access_key_id = accessKeyId, secret_access_key = secret });

        var first = await (await account.Client().GetAsync($"/v1/integrations/{cid}/credentials")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("aws", first["type"]!.GetValue<string>());
        Assert.Equal("ASIATEMPORARY0000001", first["aws"]!["accessKeyId"]!.GetValue<string>());
        Assert.Equal("session-token-1", first["aws"]!["sessionToken"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::123456789012:role/demo", seenRole);
        await (await account.Client().GetAsync($"/v1/integrations/{cid}/credentials")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(1, sts.Requests);

        var wrong = await InstallAsync(account, Def("aws_wrong"), new { role_arn = "arn:aws:iam::123456789012:role/demo", region = "eu-west-1" },
            new { access_key_id = accessKeyId, secret_access_key = "not-the-right-secret-000000000000000000" });
        await (await account.Client().GetAsync($"/v1/integrations/{wrong}/credentials")).ShouldBe(HttpStatusCode.BadGateway, "provider_rejected");
        Assert.Equal(1, sts.Rejected);
        Assert.DoesNotContain(secret, app.Logs.All);
    }

    private static Dictionary<string, string> QueryHelpersParse(string body) =>
        body.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => Uri.UnescapeDataString((p.Length > 1 ? p[1] : "").Replace('+', ' ')));

    private static byte[] B64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }
}

/// <summary>An independent AWS Signature Version 4 check of a received request (header auth, POST body).</summary>
public static class SigV4
{
    public static bool Verify(HttpRequest request, string body, string accessKeyId, string secret, string region, string service)
    {
        var auth = request.Headers.Authorization.ToString();
        if (!auth.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal)) return false;
        var parts = auth["AWS4-HMAC-SHA256 ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var credential = parts["Credential"].Split('/');
        if (credential.Length != 5 || credential[0] != accessKeyId || credential[2] != region || credential[3] != service) return false;
        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (!amzDate.StartsWith(credential[1], StringComparison.Ordinal)) return false;
        var signedHeaders = parts["SignedHeaders"].Split(';');
        var canonicalHeaders = string.Concat(signedHeaders.Select(h =>
            h + ":" + string.Join(",", request.Headers[h].Select(v => string.Join(' ', v!.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)))) + "\n"));
        var query = string.Join("&", request.Query.OrderBy(q => q.Key, StringComparer.Ordinal)
            .Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value.ToString())));
        var payloadHash = Hex(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var path = string.IsNullOrEmpty(request.Path.Value) ? "/" : request.Path.Value;
        var canonical = $"{request.Method}\n{path}\n{query}\n{canonicalHeaders}\n{parts["SignedHeaders"]}\n{payloadHash}";
        var scope = $"{credential[1]}/{region}/{service}/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), credential[1]), region), service), "aws4_request");
        var expected = Hex(Hmac(key, toSign));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts["Signature"]));
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}
