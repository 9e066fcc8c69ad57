using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Invocation;

/// <summary>POST /native-tools/{name}/invoke and the listing, against loopback stand-in providers that check what they receive.</summary>
public sealed class ToolInvokeTests(ToolsApp app) : IClassFixture<ToolsApp>, IAsyncLifetime
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
        foreach (var secret in new[] { Installs.StripeKey, Installs.PostmarkToken, Installs.TwilioToken, _account.ApiKey })
            Assert.DoesNotContain(secret, app.Logs.All);
    }

    [Fact]
    public async Task Stripe_gets_the_install_bearer_key_and_the_answer_comes_back_with_status_headers_and_body()
    {
        await Installs.StripeAsync(_account, _provider);
        _provider.Handler = (ctx, _) =>
        {
            ctx.Response.Headers["Request-Id"] = "req_1";
            ctx.Response.Headers["Set-Cookie"] = "s=1";
            return ProviderStandIn.Json(ctx, 200, """{"object":"list","data":[{"id":"cus_1"}],"has_more":false}""");
        };
        var client = _account.Client();
        client.DefaultRequestHeaders.Add("Cookie", "session=caller");
        var response = await client.PostJson("/api/v1/native-tools/stripe.list_customers/invoke", new { input = new { email = "a@example.com", limit = 3 } });
        var body = await response.ShouldBe(HttpStatusCode.OK);

        Assert.True(body["ok"]!.GetValue<bool>());
        Assert.Equal(200, body["status"]!.GetValue<int>());
        Assert.Equal("cus_1", body["body"]!["data"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("req_1", body["headers"]!["request-id"]!.GetValue<string>());
        Assert.Null(body["headers"]!["set-cookie"]);
        Assert.True(body["duration_ms"]!.GetValue<long>() >= 0);
        var seen = Assert.Single(_provider.Requests);
        Assert.Equal(("GET", "/v1/customers"), (seen.Method, seen.Path));
        Assert.Equal("Bearer " + Installs.StripeKey, seen.Header("Authorization"));
        Assert.Equal("2024-06-20", seen.Header("Stripe-Version"));
        Assert.Null(seen.Header("Cookie"));
        var query = QueryString(seen.Query);
        Assert.Equal("a@example.com", query["email"]);
        Assert.Equal("3", query["limit"]);
        Assert.DoesNotContain(Installs.StripeKey, body.ToJsonString());

        // The openai_name is the same tool.
        await (await Installs.InvokeAsync(_account, "stripe__list_customers", new { })).ShouldBe(HttpStatusCode.OK);
        var audit = await app.AuditAsync(_account.AccountId, "tool.invoked");
        Assert.Equal(2, audit.Count);
        var first = JsonNode.Parse(audit[0])!;
        Assert.Equal("stripe.list_customers", first["tool"]!.GetValue<string>());
        Assert.Equal(200, first["provider_status"]!.GetValue<int>());
        Assert.Equal("default", first["user_id"]!.GetValue<string>());
        Assert.DoesNotContain(Installs.StripeKey, string.Join("", audit));
    }

    [Fact]
    public async Task Postmark_gets_its_server_token_header_and_a_json_body_once_the_write_is_permitted()
    {
        await Installs.InstallAsync(_account, "postmark", new { server_token = Installs.PostmarkToken }, _provider.Url);
        var input = new { from = "ops@example.com", to = "user@example.com", subject = "Hi", text_body = "Hello" };
        await (await Installs.InvokeAsync(_account, "postmark.send_email", input)).ShouldBe(HttpStatusCode.Forbidden, "action_not_permitted");
        Assert.Empty(_provider.Requests);

        await Installs.PatchAsync(_account, "postmark", new { action_permissions = new { send_emails = true } });
        _provider.Handler = (ctx, _) => ProviderStandIn.Json(ctx, 200, """{"ErrorCode":0,"MessageID":"m-1"}""");
        var body = await (await Installs.InvokeAsync(_account, "postmark.send_email", input)).ShouldBe(HttpStatusCode.OK);
        Assert.True(body["ok"]!.GetValue<bool>());
        var seen = Assert.Single(_provider.Requests);
        Assert.Equal(("POST", "/email"), (seen.Method, seen.Path));
        Assert.Equal(Installs.PostmarkToken, seen.Header("X-Postmark-Server-Token"));
        Assert.Null(seen.Header("Authorization"));
        var sent = JsonNode.Parse(seen.Body)!;
        Assert.Equal("ops@example.com", sent["From"]!.GetValue<string>());
        Assert.Equal("Hello", sent["TextBody"]!.GetValue<string>());
    }

    [Fact]
    public async Task Twilio_gets_http_basic_with_the_account_sid_and_token_and_the_sid_in_its_path()
    {
        await Installs.InstallAsync(_account, "twilio", new { account_sid = Installs.TwilioSid, auth_token = Installs.TwilioToken }, _provider.Url);
        await Installs.PatchAsync(_account, "twilio", new { action_permissions = new { send_messages = true } });
        _provider.Handler = (ctx, _) => ProviderStandIn.Json(ctx, 201, """{"sid":"SM1","status":"queued"}""");
        var body = await (await Installs.InvokeAsync(_account, "twilio.send_sms", new { to = "+15005550006", from = "+15005550001", body = "hi" }))
            .ShouldBe(HttpStatusCode.OK);
        Assert.Equal(201, body["status"]!.GetValue<int>());
        var seen = Assert.Single(_provider.Requests);
        Assert.Equal($"/2010-04-01/Accounts/{Installs.TwilioSid}/Messages.json", seen.Path);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Installs.TwilioSid + ":" + Installs.TwilioToken)), seen.Header("Authorization"));
        Assert.Contains("To=%2B15005550006", seen.Body);
        Assert.StartsWith("application/x-www-form-urlencoded", seen.Header("Content-Type"));
    }

    [Fact]
    public async Task Read_tools_are_allowed_by_default_write_tools_denied_and_explicit_values_win()
    {
        await Installs.StripeAsync(_account, _provider);
        var refund = new { charge = "ch_1", amount = 500 };
        await (await Installs.InvokeAsync(_account, "stripe.create_refund", refund)).ShouldBe(HttpStatusCode.Forbidden, "action_not_permitted");
        await (await Installs.InvokeAsync(_account, "stripe.list_charges", new { })).ShouldBe(HttpStatusCode.OK);
        Assert.Single(_provider.Requests);

        var list = await (await _account.Client().GetAsync("/api/v1/native-tools?provider=stripe")).ShouldBe(HttpStatusCode.OK);
        var byName = list["native_tools"]!.AsArray().ToDictionary(t => t!["name"]!.GetValue<string>());
        Assert.False(byName["stripe.create_refund"]!["allowed"]!.GetValue<bool>());
        Assert.Contains("issue_refunds", byName["stripe.create_refund"]!["denied_reason"]!.GetValue<string>());
        Assert.True(byName["stripe.list_charges"]!["allowed"]!.GetValue<bool>());

        await Installs.PatchAsync(_account, "stripe", new { action_permissions = new { issue_refunds = true, read_charges = false } });
        await (await Installs.InvokeAsync(_account, "stripe.list_charges", new { })).ShouldBe(HttpStatusCode.Forbidden, "action_not_permitted");
        _provider.Handler = (ctx, _) => ProviderStandIn.Json(ctx, 200, """{"id":"re_1","status":"succeeded"}""");
        await (await Installs.InvokeAsync(_account, "stripe.create_refund", refund)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, _provider.Requests.Count);
        Assert.Equal("amount=500&charge=ch_1", _provider.Requests.Last().Body);

        var allowedOnly = await (await _account.Client().GetAsync("/api/v1/native-tools?provider=stripe&allowed=true")).ShouldBe(HttpStatusCode.OK);
        Assert.DoesNotContain(allowedOnly["native_tools"]!.AsArray(), t => t!["name"]!.GetValue<string>() == "stripe.list_charges");
        // Refusals write nothing: only the two calls that went out are audited.
        Assert.Equal(2, (await app.AuditAsync(_account.AccountId, "tool.invoked")).Count);
    }

    [Fact]
    public async Task Paused_disconnected_and_uninstalled_integrations_contribute_no_tools_and_refuse_calls()
    {
        await (await Installs.InvokeAsync(_account, "stripe.list_customers", new { })).ShouldBe(HttpStatusCode.Conflict, "integration_not_active");
        await Installs.StripeAsync(_account, _provider);
        var listed = await (await _account.Client().GetAsync("/api/v1/native-tools")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(4, listed["native_tools"]!.AsArray().Count);

        await Installs.PatchAsync(_account, "stripe", new { status = "paused" });
        await (await Installs.InvokeAsync(_account, "stripe.list_customers", new { })).ShouldBe(HttpStatusCode.Conflict, "integration_not_active");
        Assert.Empty((await (await _account.Client().GetAsync("/api/v1/native-tools")).ShouldBe(HttpStatusCode.OK))["native_tools"]!.AsArray());
        await (await _account.Client().GetAsync("/api/v1/native-tools/stripe.list_customers")).ShouldBe(HttpStatusCode.NotFound, "tool_not_found");

        await Installs.PatchAsync(_account, "stripe", new { status = "disconnected" });
        var refused = await (await Installs.InvokeAsync(_account, "stripe.list_customers", new { })).ShouldBe(HttpStatusCode.Conflict, "integration_not_active");
        Assert.Equal("disconnected", refused["current_status"]!.GetValue<string>());
        Assert.Empty(_provider.Requests);
    }

    [Fact]
    public async Task Input_is_validated_first_with_one_json_pointer_per_error_and_nothing_is_sent()
    {
        await Installs.StripeAsync(_account, _provider);
        await Installs.PatchAsync(_account, "stripe", new { action_permissions = new { issue_refunds = true } });
        var problem = await (await Installs.InvokeAsync(_account, "stripe.create_refund",
            new { charge = "ch_1", amount = 0, reason = "because", unknown = 1, metadata = new { plan = 5 } })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var fields = problem["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        Assert.Contains("/amount", fields);
        Assert.Contains("/reason", fields);
        Assert.Contains("/unknown", fields);
        Assert.Contains("/metadata/plan", fields);
        Assert.DoesNotContain("because", problem.ToJsonString());
        var missing = await (await Installs.InvokeAsync(_account, "stripe.get_customer", new { })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("/customer_id", missing["errors"]![0]!["field"]!.GetValue<string>());
        await (await _account.Client().PostJson("/api/v1/native-tools/stripe.get_customer/invoke", new { input = "x" }))
            .ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        await (await _account.Client().PostAsync("/api/v1/native-tools/stripe.get_customer/invoke", Api.Json("{\"input\": {")))
            .ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
        Assert.Empty(_provider.Requests);
        Assert.Empty(await app.AuditAsync(_account.AccountId, "tool.invoked"));
    }

    [Fact]
    public async Task A_provider_slower_than_the_timeout_is_504_and_an_oversized_answer_502()
    {
        await Installs.StripeAsync(_account, _provider);
        _provider.Handler = async (ctx, _) => { await Task.Delay(TimeSpan.FromSeconds(4)); await ProviderStandIn.Json(ctx, 200, "{}"); };
        await (await Installs.InvokeAsync(_account, "stripe.get_customer", new { customer_id = "cus_1" })).ShouldBe(HttpStatusCode.GatewayTimeout, "provider_timeout");

        _provider.Handler = (ctx, _) => ProviderStandIn.Json(ctx, 200, "\"" + new string('x', ToolsApp.MaxResponseBytes) + "\"");
        await (await Installs.InvokeAsync(_account, "stripe.get_customer", new { customer_id = "cus_1" })).ShouldBe(HttpStatusCode.BadGateway, "provider_response_too_large");
        _provider.Handler = (ctx, _) => ProviderStandIn.Json(ctx, 200, "\"" + new string('x', ToolsApp.MaxResponseBytes / 2) + "\"");
        await (await Installs.InvokeAsync(_account, "stripe.get_customer", new { customer_id = "cus_1" })).ShouldBe(HttpStatusCode.OK);
        var outcomes = (await app.AuditAsync(_account.AccountId, "tool.invoked")).Select(d => JsonNode.Parse(d)!["outcome"]!.GetValue<string>()).ToList();
        Assert.Equal(["provider_timeout", "provider_response_too_large", "completed"], outcomes);
    }

    [Fact]
    public async Task Read_tools_retry_on_503_and_429_within_the_retry_after_cap_and_write_tools_never_retry()
    {
        await Installs.StripeAsync(_account, _provider);
        await Installs.PatchAsync(_account, "stripe", new { action_permissions = new { issue_refunds = true } });
        var calls = 0;
        _provider.Handler = (ctx, _) => Interlocked.Increment(ref calls) switch
        {
            1 => ProviderStandIn.Json(ctx, 503, "{}"),
            2 => RetryAfter(ctx, "0"),
            _ => ProviderStandIn.Json(ctx, 200, """{"id":"cus_1"}"""),
        };
        var ok = await (await Installs.InvokeAsync(_account, "stripe.get_customer", new { customer_id = "cus_1" })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(200, ok["status"]!.GetValue<int>());
        Assert.Equal(3, calls);

        // Retry-After beyond the cap: the provider's 429 is the answer.
        calls = 10;
        _provider.Handler = (ctx, _) => { Interlocked.Increment(ref calls); return RetryAfter(ctx, "120"); };
        var limited = await (await Installs.InvokeAsync(_account, "stripe.get_customer", new { customer_id = "cus_1" })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(429, limited["status"]!.GetValue<int>());
        Assert.False(limited["ok"]!.GetValue<bool>());
        Assert.Equal(11, calls);

        // A write is sent once, whatever the answer.
        calls = 20;
        _provider.Handler = (ctx, _) => { Interlocked.Increment(ref calls); return ProviderStandIn.Json(ctx, 503, "{}"); };
        var write = await (await Installs.InvokeAsync(_account, "stripe.create_refund", new { charge = "ch_1" })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(503, write["status"]!.GetValue<int>());
        Assert.Equal(21, calls);
        var attempts = (await app.AuditAsync(_account.AccountId, "tool.invoked")).Select(d => JsonNode.Parse(d)!["attempts"]!.GetValue<int>()).ToList();
        Assert.Equal([3, 1, 1], attempts);
    }

    [Fact]
    public async Task An_unreachable_provider_is_502_after_the_read_retries()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await Installs.InstallAsync(_account, "stripe", new { api_key = Installs.StripeKey }, $"http://127.0.0.1:{port}");
        await (await Installs.InvokeAsync(_account, "stripe.list_customers", new { })).ShouldBe(HttpStatusCode.BadGateway, "provider_unreachable");
        var audit = JsonNode.Parse(Assert.Single(await app.AuditAsync(_account.AccountId, "tool.invoked")))!;
        Assert.Equal(3, audit["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task Unknown_tools_and_other_accounts_are_404_and_calls_need_the_tools_invoke_scope()
    {
        await (await Installs.InvokeAsync(_account, "stripe.nope", new { })).ShouldBe(HttpStatusCode.NotFound, "tool_not_found");
        await (await _account.Client().GetAsync("/api/v1/native-tools/nope.nope")).ShouldBe(HttpStatusCode.NotFound, "tool_not_found");
        await Installs.StripeAsync(_account, _provider);
        var other = await app.CreateAccountAsync("other");
        _provider.Forbidden.Add(other.ApiKey);
        await (await other.Client().GetAsync("/api/v1/native-tools/stripe.list_customers")).ShouldBe(HttpStatusCode.NotFound, "tool_not_found");
        Assert.Empty((await (await other.Client().GetAsync("/api/v1/native-tools")).ShouldBe(HttpStatusCode.OK))["native_tools"]!.AsArray());
        await (await Installs.InvokeAsync(other, "stripe.list_customers", new { })).ShouldBe(HttpStatusCode.Conflict, "integration_not_active");

        var created = await (await _account.Client().PostJson("/api/v1/api-keys", new { name = "reader", scopes = new[] { "read" } })).ShouldBe(HttpStatusCode.Created);
        var reader = app.ClientWithKey(created["key"]!.GetValue<string>());
        await (await reader.GetAsync("/api/v1/native-tools/stripe.list_customers")).ShouldBe(HttpStatusCode.OK);
        await (await reader.PostJson("/api/v1/native-tools/stripe.list_customers/invoke", new { input = new { } })).ShouldBe(HttpStatusCode.Forbidden);
        await (await reader.GetAsync("/api/v1/proxy/stripe/v1/customers")).ShouldBe(HttpStatusCode.Forbidden);
        Assert.Empty(_provider.Requests);
    }

    [Fact]
    public async Task The_listing_filters_by_provider_kind_and_text_and_pages_with_a_cursor()
    {
        await Installs.StripeAsync(_account, _provider);
        await Installs.InstallAsync(_account, "postmark", new { server_token = Installs.PostmarkToken }, _provider.Url);
        var client = _account.Client();
        var writes = await (await client.GetAsync("/api/v1/native-tools?kind=write")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(["postmark.send_email", "postmark.send_email_with_template", "stripe.create_refund"],
            writes["native_tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        var refund = await (await client.GetAsync("/api/v1/native-tools?q=REFUND")).ShouldBe(HttpStatusCode.OK);
        Assert.Contains(refund["native_tools"]!.AsArray(), t => t!["name"]!.GetValue<string>() == "stripe.create_refund");
        var one = (await (await client.GetAsync("/api/v1/native-tools?provider=stripe")).ReadJson())["native_tools"]![0]!;
        Assert.Equal("stripe__create_refund", one["openai_name"]!.GetValue<string>());
        Assert.Equal("object", one["input_schema"]!["type"]!.GetValue<string>());
        Assert.NotNull(one["integration_id"]);

        var names = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await client.GetAsync("/api/v1/native-tools?limit=3" + (cursor is null ? "" : "&cursor=" + cursor))).ShouldBe(HttpStatusCode.OK);
            names.AddRange(page["native_tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.Equal(8, names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        await (await client.GetAsync("/api/v1/native-tools?kind=delete")).ShouldBe(HttpStatusCode.BadRequest, "invalid_kind");
        await (await client.GetAsync("/api/v1/native-tools?cursor=%%%")).ShouldBe(HttpStatusCode.BadRequest, "invalid_cursor");
    }

    private static Task RetryAfter(HttpContext ctx, string seconds)
    {
        ctx.Response.Headers.RetryAfter = seconds;
        return ProviderStandIn.Json(ctx, 429, "{}");
    }

    private static Dictionary<string, string> QueryString(string query) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query).ToDictionary(p => p.Key, p => p.Value.ToString());
}
