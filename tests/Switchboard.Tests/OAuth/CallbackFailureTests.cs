using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;
using Results = Microsoft.AspNetCore.Http.Results;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// Whatever fails once the callback has used up its state, the flow ends as a failure: the browser is sent to
/// redirectUri?status=error&amp;error=…, the user's lastError is set, oauth.callback.failed is audited; never a 5xx, never a
/// user left pending. Host params with a port reach the server they name.
/// </summary>
[Collection("oauth")]
public sealed class CallbackFailureTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    private const string Done = "https://app.example.com/done";

    /// <summary>The local IdP as a custom provider whose token endpoint is elsewhere (a stand-in, a closed port).</summary>
    private Dictionary<string, object?> ProviderWithTokenUrl(string name, string tokenUrl)
    {
        var definition = (Dictionary<string, object?>)OAuthDriver.LocalProvider(idp, name);
        ((Dictionary<string, object?>)definition["oauth"]!)["token_url"] = tokenUrl;
        return definition;
    }

    private static async Task<string> InstallAsync(TestAccount account, Dictionary<string, object?> definition, object? parameters = null)
    {
        var client = account.Client();
        await (await client.PostJson("/api/v1/providers", definition)).ShouldBe(HttpStatusCode.Created);
        var installed = await client.PostJson($"/api/v1/integrations/{definition["name"]}/install", new
        {
            @params = parameters ?? new { client_id = "sb-client" },
            secrets = new { client_secret = OAuthServer.Secret("sb-client") },
        });
        return (await installed.ShouldBe(HttpStatusCode.OK))["id"]!.GetValue<string>();
    }

    /// <summary>Consents at the real IdP and returns the callback URL it sends the browser to (not yet delivered).</summary>
    private async Task<string> ConsentAsync(TestAccount account, string cid, string userId) =>
        await OAuthDriver.AuthorizeAtProviderAsync(app, await OAuthDriver.AuthUrlAsync(account, cid, userId, Done));

    private static async Task AssertFailedAsync(Infrastructure.SwitchboardApp app, TestAccount account, string cid, string userId,
        HttpResponseMessage callback, string error)
    {
        var body = await callback.Content.ReadAsStringAsync();
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, $"expected a redirect, got {(int)callback.StatusCode}: {body}");
        Assert.Equal($"{Done}?status=error&error={error}", callback.Headers.Location!.ToString());
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/{userId}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("error", user["status"]!.GetValue<string>());
        Assert.Equal(error, user["lastError"]!.GetValue<string>());
        var failures = await app.WithDbAsync(db => db.AuditEvents
            .Where(e => e.AccountId == account.AccountId && e.Action == "oauth.callback.failed").Select(e => e.DataJson).ToListAsync());
        Assert.Contains(failures, d => d.Contains($"\"error\":\"{error}\""));
    }

    private async Task AssertConnectedAsync(TestAccount account, string cid, string userId, HttpResponseMessage callback)
    {
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, $"got {(int)callback.StatusCode}: {await callback.Content.ReadAsStringAsync()}");
        Assert.Equal($"{Done}?status=success", callback.Headers.Location!.ToString());
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/{userId}")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("active", user["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_host_param_with_a_port_reaches_the_authorization_server_on_that_port_and_the_flow_completes()
    {
        var account = await app.CreateAccountAsync();
        var definition = (Dictionary<string, object?>)OAuthDriver.LocalProvider(idp, "self_managed_idp");
        definition["api_base_url"] = "http://{params.host}/api";
        definition["params"] = new object[]
        {
            new { name = "client_id", type = "string", required = true, description = "Client id." },
            new { name = "host", type = "string", required = true, format = "host", description = "host[:port] of the server." },
        };
        var oauth = (Dictionary<string, object?>)definition["oauth"]!;
        oauth["authorize_url"] = "http://{params.host}/auth";
        oauth["token_url"] = "http://{params.host}/token";
        oauth["revoke_url"] = "http://{params.host}/token/revocation";
        var hostAndPort = new Uri(idp.Issuer).Authority;
        Assert.Contains(':', hostAndPort);
        var cid = await InstallAsync(account, definition, new { client_id = "sb-client", host = hostAndPort });
        var before = await idp.CountsAsync();

        var authUrl = await OAuthDriver.AuthUrlAsync(account, cid, "ported", Done);
        var providerUrl = await OAuthDriver.StartAsync(app, authUrl);
        Assert.StartsWith(idp.Issuer + "/auth?", providerUrl);
        var callback = await OAuthDriver.CallbackAsync(app, await OAuthDriver.WalkProviderAsync(providerUrl));
        await AssertConnectedAsync(account, cid, "ported", callback);
        Assert.Equal(1, (await idp.CountsAsync()).Of("sb-client authorization_code") - before.Of("sb-client authorization_code"));
        var creds = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/ported/credentials")).ShouldBe(HttpStatusCode.OK);
        Assert.True(creds["accessToken"]!.GetValue<string>().Length > 20);

        // The revoke URL is built the same way.
        Assert.Equal(HttpStatusCode.NoContent, (await account.Client().DeleteAsync($"/v1/integrations/{cid}/users/ported")).StatusCode);
        Assert.True((await idp.CountsAsync()).Revocations > before.Revocations);
    }

    [Fact]
    public async Task GitLab_on_a_host_with_a_port_is_reached_on_that_port_and_a_failed_exchange_ends_the_flow_cleanly()
    {
        using var gitlab = new ConnectionCounter();
        var account = await app.CreateAccountAsync();
        var installed = await account.Client().PostJson("/api/v1/integrations/gitlab/install", new
        {
            @params = new { client_id = "gl-app", host = $"127.0.0.1:{gitlab.Port}" },
            secrets = new { client_secret = "gl-secret-0123456789" },
        });
        var cid = (await installed.ShouldBe(HttpStatusCode.OK))["id"]!.GetValue<string>();

        var start = await OAuthDriver.Browser(app).GetAsync(OAuthDriver.ToLocal(await OAuthDriver.AuthUrlAsync(account, cid, "gl-user", Done)));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!.ToString();
        Assert.StartsWith($"https://127.0.0.1:{gitlab.Port}/oauth/authorize?", authorize);
        var state = OAuthDriver.Query(new Uri(authorize))["state"];

        // The stand-in speaks no TLS: the token request reaches 127.0.0.1 on that port and fails there.
        var callback = await OAuthDriver.CallbackAsync(app, $"{OAuthServer.CallbackUrl}?code=gl-code&state={Uri.EscapeDataString(state)}");
        await AssertFailedAsync(app, account, cid, "gl-user", callback, "provider_unavailable");
        Assert.True(gitlab.Connections >= 1);
    }

    [Fact]
    public async Task An_unreachable_token_endpoint_ends_in_provider_unavailable()
    {
        var account = await app.CreateAccountAsync();
        var cid = await InstallAsync(account, ProviderWithTokenUrl("closed_port_idp", $"http://127.0.0.1:{ConnectionCounter.ClosedPort()}/token"));
        var back = await ConsentAsync(account, cid, "closed");
        await AssertFailedAsync(app, account, cid, "closed", await OAuthDriver.CallbackAsync(app, back), "provider_unavailable");
    }

    [Theory]
    [InlineData("html")]
    [InlineData("huge")]
    [InlineData("long_token_type")]
    [InlineData("not_an_object")]
    public async Task A_token_endpoint_answering_garbage_ends_in_provider_unavailable(string garbage)
    {
        await using var token = await LoopbackStandIn.StartAsync(async ctx =>
        {
            switch (garbage)
            {
                case "html":
                    return Results.Content("<!doctype html><html><body><h1>Welcome</h1></body></html>", "text/html");
                case "huge":
                    // 2 MB, chunked (no Content-Length): read only up to the limit.
                    ctx.Response.ContentType = "application/json";
                    var chunk = new string(' ', 64 * 1024);
                    await ctx.Response.WriteAsync("{\"access_token\":\"at\",\"pad\":\"");
                    for (var i = 0; i < 32; i++) await ctx.Response.WriteAsync(chunk);
                    await ctx.Response.WriteAsync("\"}");
                    return Results.Empty;
                case "long_token_type":
                    return Results.Json(new { access_token = "at-1", token_type = new string('B', 100), expires_in = 3600 });
                default:
                    return Results.Content("[\"access_token\", 42]", "application/json");
            }
        });
        var account = await app.CreateAccountAsync();
        var cid = await InstallAsync(account, ProviderWithTokenUrl("garbage_idp", token.Url + "/token"));
        var back = await ConsentAsync(account, cid, "garbage");
        await AssertFailedAsync(app, account, cid, "garbage", await OAuthDriver.CallbackAsync(app, back), "provider_unavailable");
        Assert.Equal(1, token.Requests);
    }

    [Theory]
    [InlineData("bogus_charset")]
    [InlineData("huge_expires_in")]
    public async Task Odd_but_usable_token_responses_complete_the_flow(string odd)
    {
        await using var token = await LoopbackStandIn.StartAsync(async ctx =>
        {
            // Written by hand: the framework would refuse to send an unknown charset.
            ctx.Response.ContentType = odd == "bogus_charset" ? "application/json; charset=no-such-charset" : "application/json";
            await ctx.Response.WriteAsync(odd == "bogus_charset"
                ? "{\"access_token\":\"at-odd-1\",\"token_type\":\"Bearer\",\"expires_in\":3600}"
                : "{\"access_token\":\"at-odd-2\",\"token_type\":\"Bearer\",\"expires_in\":1e300}");
            return Results.Empty;
        });
        var account = await app.CreateAccountAsync();
        var cid = await InstallAsync(account, ProviderWithTokenUrl("odd_idp", token.Url + "/token"));
        var back = await ConsentAsync(account, cid, "odd");
        await AssertConnectedAsync(account, cid, "odd", await OAuthDriver.CallbackAsync(app, back));
        var user = await (await account.Client().GetAsync($"/v1/integrations/{cid}/users/odd")).ShouldBe(HttpStatusCode.OK);
        var expires = user["expiresAt"]!.GetValue<DateTime>();
        Assert.InRange(expires, DateTime.UtcNow.AddMinutes(50), DateTime.UtcNow.AddYears(11));
    }

    [Fact]
    public async Task Without_encryption_on_the_node_that_gets_the_callback_the_flow_ends_in_encryption_unavailable()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, name: "keyless_idp");
        var back = await ConsentAsync(account, cid, "keyless");
        var before = await idp.CountsAsync();
        await using var keyless = await NodeApp.StartAsync(app.Database, new Dictionary<string, string?>());
        await AssertFailedAsync(app, account, cid, "keyless", await OAuthDriver.CallbackAsync(keyless, back), "encryption_unavailable");
        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
    }

    [Fact]
    public async Task A_client_secret_that_no_key_on_the_node_decrypts_ends_in_decryption_failed()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, name: "other_key_idp");
        var back = await ConsentAsync(account, cid, "other-key");
        await using var otherKey = await NodeApp.StartAsync(app.Database, new Dictionary<string, string?>
        {
            ["Switchboard:Crypto:Keys"] = "k9:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Switchboard:Crypto:ActiveKeyId"] = "k9",
        });
        await AssertFailedAsync(app, account, cid, "other-key", await OAuthDriver.CallbackAsync(otherKey, back), "decryption_failed");
    }

    [Theory]
    [InlineData("paused")]
    [InlineData("uninstalled")]
    [InlineData("disconnected")]
    public async Task An_integration_no_longer_active_at_the_callback_gets_no_token(string change)
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, name: "changing_idp");
        var back = await ConsentAsync(account, cid, "left-behind");
        var client = account.Client();
        if (change == "paused") await client.PatchLifecycleAsync(account.ProjectId, "changing_idp", new { status = "paused" });
        else if (change == "uninstalled") await (await client.PostAsync("/api/v1/integrations/changing_idp/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        else Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/projects/{account.ProjectId}/integrations/changing_idp")).StatusCode);
        var before = await idp.CountsAsync();
        await AssertFailedAsync(app, account, cid, "left-behind", await OAuthDriver.CallbackAsync(app, back), "integration_not_active");
        Assert.Equal(before.Of("sb-client authorization_code"), (await idp.CountsAsync()).Of("sb-client authorization_code"));
    }

    [Fact]
    public async Task A_provider_changed_so_that_its_token_url_cannot_be_built_ends_in_invalid_provider_url()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, name: "redefined_idp");
        var back = await ConsentAsync(account, cid, "redefined");

        // Redefined between start and callback: the token URL's host is now a param this install never set.
        var definition = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(OAuthDriver.LocalProvider(idp, "redefined_idp")))!.AsObject();
        definition["params"]!.AsArray().Add(new JsonObject
        {
            ["name"] = "host", ["type"] = "string", ["required"] = false, ["format"] = "host", ["description"] = "Host of the server.",
        });
        definition["oauth"]!["token_url"] = "http://{params.host}/token";
        await (await account.Client().PutAsync("/api/v1/providers/redefined_idp", Api.Json(definition.ToJsonString()))).ShouldBe(HttpStatusCode.OK);
        await AssertFailedAsync(app, account, cid, "redefined", await OAuthDriver.CallbackAsync(app, back), "invalid_provider_url");
    }

    [Fact]
    public async Task A_token_endpoint_refusing_the_code_ends_in_token_exchange_failed()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp, name: "refusing_idp");
        var back = await ConsentAsync(account, cid, "refused");
        await idp.FailNextTokenRequestsAsync(400, 1);
        await AssertFailedAsync(app, account, cid, "refused", await OAuthDriver.CallbackAsync(app, back), "token_exchange_failed");
    }
}
