using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Invocation;
using Switchboard.Store;

namespace Switchboard.Tests.Invocation;

/// <summary>The parts of the invocation core that need no server: permissions, input errors, request building, SigV4.</summary>
public sealed class InvocationCoreTests
{
    private static readonly ProviderCatalog Providers = ProviderCatalog.Load(ProviderCatalog.DefaultDirectory);
    private static readonly ToolCatalog Tools = ToolCatalog.Load(ProviderCatalog.DefaultDirectory, Providers);

    [Theory]
    [InlineData(false, null, true)]
    [InlineData(false, true, true)]
    [InlineData(false, false, false)]
    [InlineData(true, null, false)]
    [InlineData(true, true, true)]
    [InlineData(true, false, false)]
    public void Read_tools_are_allowed_and_write_tools_denied_unless_action_permissions_say_otherwise(bool write, bool? set, bool allowed)
    {
        var permissions = set is null ? new JsonObject() : new JsonObject { ["issue_refunds"] = set };
        var (verdict, reason) = ToolPermissions.Verdict("issue_refunds", write, permissions);
        Assert.Equal(allowed, verdict);
        Assert.Equal(allowed, reason is null);
    }

    [Fact]
    public void Input_errors_carry_json_pointers_and_never_the_value()
    {
        var tool = Tools.Find("stripe.create_refund")!;
        var errors = InputErrors.Of(tool, """{"charge": "ch_1", "amount": 0, "reason": "SECRET-LIKE-VALUE", "extra": 1, "metadata": {"a": 5}}""");
        var fields = errors.Select(e => e.Field).ToHashSet();
        Assert.Contains("/amount", fields);
        Assert.Contains("/reason", fields);
        Assert.Contains("/extra", fields);
        Assert.Contains("/metadata/a", fields);
        Assert.DoesNotContain(errors, e => e.Message.Contains("SECRET-LIKE-VALUE"));

        var missing = InputErrors.Of(Tools.Find("stripe.get_customer")!, "{}");
        Assert.Equal("/customer_id", Assert.Single(missing).Field);
        Assert.Empty(InputErrors.Of(tool, """{"charge": "ch_1", "amount": 500}"""));
    }

    [Fact]
    public async Task A_form_tool_request_has_its_path_headers_and_bracketed_body_keys()
    {
        var tool = Tools.Find("stripe.create_refund")!;
        var app = App("stripe", "{}", baseUrlOverride: "http://127.0.0.1:9/");
        var input = (JsonObject)JsonNode.Parse("""{"charge": "ch_1", "amount": 500, "metadata": {"ticket": "4711"}, "idempotency_key": "k-1"}""")!;
        using var request = ToolRequestBuilder.Build(tool, input, app)!;
        Assert.Equal("http://127.0.0.1:9/v1/refunds", request.RequestUri!.ToString());
        Assert.Equal("2024-06-20", request.Headers.GetValues("Stripe-Version").Single());
        Assert.Equal("k-1", request.Headers.GetValues("Idempotency-Key").Single());
        var body = await request.Content!.ReadAsStringAsync();
        Assert.Equal("amount=500&charge=ch_1&metadata%5Bticket%5D=4711", body);
    }

    [Fact]
    public void Path_values_are_percent_encoded_and_absent_query_inputs_left_out()
    {
        var tool = Tools.Find("stripe.list_customers")!;
        using var request = ToolRequestBuilder.Build(tool, (JsonObject)JsonNode.Parse("""{"email": "a+b@example.com"}""")!, App("stripe", "{}"))!;
        Assert.Equal("https://api.stripe.com/v1/customers", request.RequestUri!.GetLeftPart(UriPartial.Path));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.RequestUri.Query);
        Assert.Equal("a+b@example.com", Assert.Single(query).Value.ToString());
        Assert.Equal("email", query.Keys.Single());
        var get = Tools.Find("stripe.get_customer")!;
        using var one = ToolRequestBuilder.Build(get, (JsonObject)JsonNode.Parse("""{"customer_id": "cus_A"}""")!, App("stripe", "{}"))!;
        Assert.EndsWith("/v1/customers/cus_A", one.RequestUri!.AbsoluteUri);
    }

    [Fact]
    public void Success_needs_a_listed_status_and_every_json_check()
    {
        var slack = Tools.Tools.First(t => t.Provider == "slack" && t.Success.Json is { Count: > 0 });
        Assert.True(ToolRequestBuilder.IsSuccess(slack.Success, 200, JsonNode.Parse("""{"ok": true}""")));
        Assert.False(ToolRequestBuilder.IsSuccess(slack.Success, 200, JsonNode.Parse("""{"ok": false, "error": "x"}""")));
        Assert.False(ToolRequestBuilder.IsSuccess(slack.Success, 500, JsonNode.Parse("""{"ok": true}""")));
    }

    /// <summary>AWS's published "get-vanilla" case of the SigV4 test suite (same keys, date, region and service).</summary>
    [Fact]
    public void SigV4_matches_the_aws_test_suite_vanilla_get()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://example.amazonaws.com/");
        AwsSigV4.Sign(request, [], "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null, "us-east-1", "service",
            new DateTime(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc));
        Assert.Equal("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
                     "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            request.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public async Task The_injector_replaces_what_the_request_carried_with_the_install_credential()
    {
        var injector = new CredentialInjector(TimeProvider.System);
        using var stripe = new HttpRequestMessage(HttpMethod.Get, "https://api.stripe.com/v1/customers");
        stripe.Headers.TryAddWithoutValidation("Authorization", "Bearer caller-key");
        Assert.True(await injector.ApplyAsync(stripe, new UsableCredential(App("stripe", "{}", secrets: new() { ["api_key"] = "sk_test_abc" }), null), default));
        Assert.Equal("Bearer sk_test_abc", stripe.Headers.GetValues("Authorization").Single());

        using var twilio = new HttpRequestMessage(HttpMethod.Get, "https://api.twilio.com/x");
        Assert.True(await injector.ApplyAsync(twilio, new UsableCredential(App("twilio", "{}", secrets: new() { ["account_sid"] = "AC1", ["auth_token"] = "t" }), null), default));
        Assert.Equal("Basic " + Convert.ToBase64String("AC1:t"u8.ToArray()), twilio.Headers.GetValues("Authorization").Single());

        using var github = new HttpRequestMessage(HttpMethod.Get, "https://api.github.com/user");
        Assert.False(await injector.ApplyAsync(github, new UsableCredential(App("github", "{}"), null), default));
        Assert.True(await injector.ApplyAsync(github, new UsableCredential(App("github", "{}"),
            new Credential("u", "gho_token", "bearer", null, null, 1)), default));
        Assert.Equal("Bearer gho_token", github.Headers.GetValues("Authorization").Single());
    }

    private static IntegrationApp App(string provider, string paramsJson, string? baseUrlOverride = null, Dictionary<string, string>? secrets = null)
    {
        var row = new Integration { AccountId = "acc", ProjectId = "prj", Provider = provider, BaseUrlOverride = baseUrlOverride, ParamsJson = paramsJson };
        return new IntegrationApp(row, Providers.Find(provider)!, (JsonObject)JsonNode.Parse(paramsJson)!, secrets ?? []);
    }
}
