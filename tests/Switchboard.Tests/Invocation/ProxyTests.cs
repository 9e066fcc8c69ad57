using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Invocation;

/// <summary>/api/v1/proxy/{provider}/{**path} against loopback stand-ins.</summary>
public sealed class ProxyTests(ToolsApp app) : IClassFixture<ToolsApp>, IAsyncLifetime
{
    private ProviderStandIn _provider = null!;
    private TestAccount _account = null!;

    public async Task InitializeAsync()
    {
        _provider = await ProviderStandIn.StartAsync();
        _account = await app.CreateAccountAsync();
        _provider.Forbidden.Add(_account.ApiKey);
    }

    public async Task DisposeAsync()
    {
        Assert.Empty(_provider.Violations);
        await _provider.DisposeAsync();
        Assert.DoesNotContain(Installs.StripeKey, app.Logs.All);
        Assert.DoesNotContain(_account.ApiKey, app.Logs.All);
    }

    [Fact]
    public async Task Method_path_query_body_and_headers_are_forwarded_with_the_credential_and_the_callers_own_headers_stay_behind()
    {
        await Installs.StripeAsync(_account, _provider);
        await Installs.PatchAsync(_account, "stripe", new { action_permissions = new { proxy_write = true } });
        _provider.Handler = (ctx, r) =>
        {
            ctx.Response.Headers["Set-Cookie"] = "provider=1";
            ctx.Response.Headers["X-Provider"] = "yes";
            return ProviderStandIn.Json(ctx, 201, """{"id":"cus_9"}""");
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/proxy/stripe/v1/customers?expand[]=tax");
        request.Headers.Add("X-API-Key", _account.ApiKey);
        request.Headers.Add("Cookie", "sb=1");
        request.Headers.Add("Switchboard-Trace", "internal");
        request.Headers.Add("X-Custom", "kept");
        request.Headers.Add("Idempotency-Key", "idem-1");
        request.Content = new StringContent("email=a%40example.com", Encoding.UTF8, "application/x-www-form-urlencoded");
        var response = await _account.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("""{"id":"cus_9"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("yes", response.Headers.GetValues("X-Provider").Single());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        var seen = Assert.Single(_provider.Requests);
        Assert.Equal(("POST", "/v1/customers"), (seen.Method, seen.Path));
        Assert.Equal("tax", Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(seen.Query)["expand[]"].ToString());
        Assert.Equal("email=a%40example.com", seen.Body);
        Assert.Equal("Bearer " + Installs.StripeKey, seen.Header("Authorization"));
        Assert.Equal("kept", seen.Header("X-Custom"));
        Assert.Equal("idem-1", seen.Header("Idempotency-Key"));
        Assert.Null(seen.Header("X-API-Key"));
        Assert.Null(seen.Header("Cookie"));
        Assert.Null(seen.Header("Switchboard-Trace"));
        Assert.NotNull(seen.Header("User-Agent"));

        var audit = JsonNode.Parse(Assert.Single(await app.AuditAsync(_account.AccountId, "proxy.request")))!;
        Assert.Equal("POST", audit["method"]!.GetValue<string>());
        Assert.Equal("/v1/customers", audit["path"]!.GetValue<string>());
        Assert.Equal(201, audit["provider_status"]!.GetValue<int>());
        Assert.DoesNotContain("a%40example.com", audit.ToJsonString());
    }

    [Fact]
    public async Task Writes_need_proxy_write_reads_can_be_closed_and_retries_are_for_idempotent_methods_only()
    {
        await Installs.StripeAsync(_account, _provider);
        var client = _account.Client();
        await (await client.PostAsync("/api/v1/proxy/stripe/v1/refunds", Api.Json("{}"))).ShouldBe(HttpStatusCode.Forbidden, "action_not_permitted");
        await (await client.DeleteAsync("/api/v1/proxy/stripe/v1/customers/cus_1")).ShouldBe(HttpStatusCode.Forbidden, "action_not_permitted");
        Assert.Empty(_provider.Requests);

        var calls = 0;
        _provider.Handler = (ctx, _) => Interlocked.Increment(ref calls) == 1 ? ProviderStandIn.Json(ctx, 503, "{}") : ProviderStandIn.Json(ctx, 200, "{}");
        using (var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/proxy/stripe/v1/customers"))
        {
            get.Headers.Add("Switchboard-Retries", "2");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(get)).StatusCode);
        }
        Assert.Equal(2, calls);
        calls = 0;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/api/v1/proxy/stripe/v1/customers")).StatusCode);
        Assert.Equal(1, calls);

        await Installs.PatchAsync(_account, "stripe", new { action_permissions = new { proxy_write = true } });
        using (var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/proxy/stripe/v1/refunds") { Content = Api.Json("{}") })
        {
            post.Headers.Add("Switchboard-Retries", "1");
            await (await client.SendAsync(post)).ShouldBe(HttpStatusCode.BadRequest, "retries_not_allowed");
        }
        using (var bad = new HttpRequestMessage(HttpMethod.Get, "/api/v1/proxy/stripe/v1/customers"))
        {
            bad.Headers.Add("Switchboard-Retries", "6");
            await (await client.SendAsync(bad)).ShouldBe(HttpStatusCode.BadRequest, "invalid_retries");
        }
        await Installs.PatchAsync(_account, "stripe", new { action_permissions = new { proxy_read = false } });
        await (await client.GetAsync("/api/v1/proxy/stripe/v1/customers")).ShouldBe(HttpStatusCode.Forbidden, "action_not_permitted");
        Assert.Equal(3, _provider.Requests.Count);
        Assert.Equal(2, (await app.AuditAsync(_account.AccountId, "proxy.request")).Count);
    }

    [Fact]
    public async Task A_request_body_over_the_cap_is_413_and_any_media_type_under_it_is_forwarded_as_it_is()
    {
        await Installs.StripeAsync(_account, _provider);
        await Installs.PatchAsync(_account, "stripe", new { action_permissions = new { proxy_write = true } });
        var big = new StringContent(new string('x', ToolsApp.MaxRequestBytes + 1), Encoding.UTF8, "text/plain");
        await (await _account.Client().PostAsync("/api/v1/proxy/stripe/v1/files", big)).ShouldBe(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Empty(_provider.Requests);
        var xml = new StringContent("<a>1</a>", Encoding.UTF8, "application/xml");
        Assert.Equal(HttpStatusCode.OK, (await _account.Client().PostAsync("/api/v1/proxy/stripe/v1/files", xml)).StatusCode);
        var seen = Assert.Single(_provider.Requests);
        Assert.Equal("<a>1</a>", seen.Body);
        Assert.StartsWith("application/xml", seen.Header("Content-Type"));
    }

    [Fact]
    public async Task A_large_answer_is_streamed_before_the_provider_has_finished_it()
    {
        await Installs.StripeAsync(_account, _provider);
        var rest = new TaskCompletionSource();
        var chunk = new string('a', 256 * 1024);
        _provider.Handler = async (ctx, _) =>
        {
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync(chunk);
            await ctx.Response.Body.FlushAsync();
            // The rest is sent only once the caller has the first part: a proxy that buffers would wait here forever.
            await rest.Task.WaitAsync(TimeSpan.FromSeconds(20));
            for (var i = 0; i < 3; i++) await ctx.Response.WriteAsync(chunk);
        };
        using var response = await _account.Client().GetAsync("/api/v1/proxy/stripe/v1/files/big", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (total < chunk.Length)
        {
            var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(n > 0, "the stream ended early");
            total += n;
        }
        rest.SetResult();
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) total += read;
        Assert.Equal(4L * chunk.Length, total);
    }

    [Fact]
    public async Task Proxied_answers_over_the_cap_are_502_and_slow_providers_504()
    {
        await Installs.StripeAsync(_account, _provider);
        _provider.Handler = (ctx, _) => ProviderStandIn.Json(ctx, 200, new string('x', ToolsApp.MaxResponseBytes + 1));
        await (await _account.Client().GetAsync("/api/v1/proxy/stripe/v1/big")).ShouldBe(HttpStatusCode.BadGateway, "provider_response_too_large");
        _provider.Handler = async (ctx, _) => { await Task.Delay(TimeSpan.FromSeconds(4)); await ProviderStandIn.Json(ctx, 200, "{}"); };
        await (await _account.Client().GetAsync("/api/v1/proxy/stripe/v1/slow")).ShouldBe(HttpStatusCode.GatewayTimeout, "provider_timeout");
    }

    [Fact]
    public async Task Unknown_and_other_accounts_providers_are_404_and_inactive_ones_409()
    {
        await (await _account.Client().GetAsync("/api/v1/proxy/nope/x")).ShouldBe(HttpStatusCode.NotFound, "provider_not_found");
        var other = await app.CreateAccountAsync("other");
        var custom = OutboundCustom("private_api", _provider.Url);
        await (await other.Client().PostJson("/api/v1/providers", custom)).ShouldBe(HttpStatusCode.Created);
        await (await _account.Client().GetAsync("/api/v1/proxy/private_api/x")).ShouldBe(HttpStatusCode.NotFound, "provider_not_found");
        await (await _account.Client().GetAsync("/api/v1/proxy/stripe/v1/customers")).ShouldBe(HttpStatusCode.Conflict, "integration_not_active");
        await Installs.StripeAsync(_account, _provider);
        await Installs.PatchAsync(_account, "stripe", new { status = "paused" });
        await (await _account.Client().GetAsync("/api/v1/proxy/stripe/v1/customers")).ShouldBe(HttpStatusCode.Conflict, "integration_not_active");
        Assert.Empty(_provider.Requests);
    }

    private static Dictionary<string, object?> OutboundCustom(string name, string baseUrl) => new()
    {
        ["name"] = name, ["display_name"] = name, ["description"] = "Test provider.", ["category"] = "developer_tools", ["auth_type"] = "API_KEY",
        ["api_base_url"] = baseUrl, ["docs_url"] = "https://example.com/docs", ["logo_url"] = "https://example.com/logo.png",
        ["params"] = Array.Empty<object>(), ["secrets"] = new[] { new { name = "api_key", type = "string", required = true, description = "key" } },
        ["inject"] = new { headers = new Dictionary<string, string> { ["X-Key"] = "{secrets.api_key}" } },
    };
}

/// <summary>OAuth bearer tokens from a real oidc-provider connection, and AWS SigV4 with assumed-role credentials, through the proxy.</summary>
[Collection("oauth")]
public sealed class ProxyCredentialTests(OAuthServer idp, ToolsApp app) : IClassFixture<ToolsApp>
{
    [Fact]
    public async Task The_end_users_oauth_token_reaches_the_real_provider_and_is_refreshed_once_expired()
    {
        var account = await app.CreateAccountAsync();
        var provider = (Dictionary<string, object?>)OAuthDriver.LocalProvider(idp, "idp_api");
        provider["inject"] = new { headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {access_token}" } };
        await (await account.Client().PostJson("/api/v1/providers", provider)).ShouldBe(HttpStatusCode.Created);
        var installed = await (await account.Client().PostJson("/api/v1/integrations/idp_api/install", new
        {
            @params = new { client_id = "sb-short" }, secrets = new { client_secret = OAuthServer.Secret("sb-short") },
        })).ShouldBe(HttpStatusCode.OK);
        var cid = installed["id"]!.GetValue<string>();

        var client = account.Client();
        var missing = await (await client.GetAsync("/api/v1/proxy/idp_api/me")).ShouldBe(HttpStatusCode.Conflict, "connection_required");
        Assert.Equal($"POST /api/v1/integrations/{cid}/users/default/auth-url", missing["auth_url_route"]!.GetValue<string>());

        await OAuthDriver.ConnectAsync(app, account, cid, "alice");
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/v1/proxy/idp_api/me");
        me.Headers.Add("Switchboard-User-Id", "alice");
        // oidc-provider's userinfo endpoint accepts only a valid access token it issued.
        var first = await client.SendAsync(me);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("end-user-1", JsonNode.Parse(await first.Content.ReadAsStringAsync())!["sub"]!.GetValue<string>());

        var before = await idp.CountsAsync();
        await RefreshTiming.WaitUntilDueAsync(await RefreshTiming.ExpiresAtAsync(account, cid, "alice"));
        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/v1/proxy/idp_api/me");
        again.Headers.Add("Switchboard-User-Id", "alice");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(again)).StatusCode);
        var after = await idp.CountsAsync();
        Assert.Equal(before.Of("sb-short refresh_token") + 1, after.Of("sb-short refresh_token"));
        Assert.Equal(2, (await app.AuditAsync(account.AccountId, "proxy.request")).Count);
    }

    [Fact]
    public async Task Aws_requests_are_signed_with_the_assumed_roles_credentials_checked_independently()
    {
        const string baseKey = "AKIAIOSFODNN7EXAMPLE", baseSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        var signedOk = 0;
        await using var aws = await LoopbackStandIn.StartAsync(async ctx =>
        {
            ctx.Request.EnableBuffering();
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8, leaveOpen: true);
            var body = await reader.ReadToEndAsync();
            if (body.Contains("Action=AssumeRole"))
            {
                if (!SigV4.Verify(ctx.Request, body, baseKey, baseSecret, "eu-west-1", "sts")) return Results.StatusCode(403);
                var expiration = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                return Results.Content($"""
                    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
                    <AccessKeyId>ASIATEMPORARY0000001</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey>
                    <SessionToken>session-token-1</SessionToken><Expiration>{expiration}</Expiration></Credentials>
                    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/switchboard</Arn><AssumedRoleId>AROA1:switchboard</AssumedRoleId></AssumedRoleUser>
                    </AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></AssumeRoleResponse>
                    """, "text/xml");
            }
            // The proxied call: signed with the temporary credentials, carrying their session token.
            if (!SigV4.Verify(ctx.Request, body, "ASIATEMPORARY0000001", "temporary-secret", "eu-west-1", "sts")
                || ctx.Request.Headers["X-Amz-Security-Token"] != "session-token-1") return Results.StatusCode(403);
            Interlocked.Increment(ref signedOk);
            return Results.Content("<GetCallerIdentityResponse/>", "text/xml");
        });
        var account = await app.CreateAccountAsync();
        var provider = new Dictionary<string, object?>
        {
            ["name"] = "aws_local", ["display_name"] = "aws", ["description"] = "Test provider.", ["category"] = "cloud", ["auth_type"] = "AWS_ASSUME_ROLE",
            ["api_base_url"] = aws.Url, ["docs_url"] = "https://example.com/docs", ["logo_url"] = "https://example.com/logo.png",
            ["params"] = new[] { Field("role_arn"), Field("region") }, ["secrets"] = new[] { Field("access_key_id"), Field("secret_access_key") },
            ["inject"] = new { aws_sigv4 = new { service = "sts", region = "{params.region}" } },
        };
        await (await account.Client().PostJson("/api/v1/providers", provider)).ShouldBe(HttpStatusCode.Created);
        await (await account.Client().PostJson("/api/v1/integrations/aws_local/install", new
        {
            @params = new { role_arn = "arn:aws:iam::123456789012:role/demo", region = "eu-west-1" },
            secrets = new { access_key_id = baseKey, secret_access_key = baseSecret },
        })).ShouldBe(HttpStatusCode.OK);
        await Installs.PatchAsync(account, "aws_local", new { action_permissions = new { proxy_write = true } });

        var response = await account.Client().PostAsync("/api/v1/proxy/aws_local/",
            new StringContent("Action=GetCallerIdentity&Version=2011-06-15", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, signedOk);
        Assert.DoesNotContain(baseSecret, app.Logs.All);
        Assert.DoesNotContain("temporary-secret", app.Logs.All);
    }

    private static object Field(string name) => new { name, type = "string", required = true, description = name };
}
