using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Catalog;

namespace Switchboard.Tests.Catalog;

public sealed partial class ToolCatalogTests
{
    private static readonly ProviderCatalog Providers = ProviderCatalog.Load(ProviderCatalog.DefaultDirectory);
    private static readonly ToolCatalog Catalog = ToolCatalog.Load(ProviderCatalog.DefaultDirectory, Providers);

    [GeneratedRegex(@"\{([a-z][a-z0-9_]*)\}")]
    private static partial Regex InputPlaceholder();

    [GeneratedRegex(@"^[a-z0-9_]+\.[a-z0-9_]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex OpenAiPattern();

    [Fact]
    public void Every_tool_file_loads_with_at_least_four_tools_for_each_of_ten_providers()
    {
        Assert.True(Catalog.Tools.Count >= 40, $"{Catalog.Tools.Count} tools");
        var perProvider = Catalog.Providers.ToDictionary(p => p, p => Catalog.ForProvider(p).Count);
        Assert.True(perProvider.Count(p => p.Value >= 4) >= 10, string.Join(", ", perProvider.Select(p => $"{p.Key}={p.Value}")));
        foreach (var name in new[] { "stripe", "slack", "github", "notion", "linear", "hubspot", "shopify", "zendesk", "postmark", "twilio" })
            Assert.True(Catalog.ForProvider(name).Count >= 4, name);
    }

    [Fact]
    public void Every_tool_passes_the_rules_and_both_name_patterns_and_its_provider_exists()
    {
        foreach (var tool in Catalog.Tools)
        {
            var provider = Providers.Find(tool.Provider);
            Assert.NotNull(provider);
            Assert.Empty(ToolRules.Check(tool, provider));
            Assert.Matches(NamePattern(), tool.Name);
            Assert.True(tool.Name.Length <= 64, tool.Name);
            Assert.Matches(OpenAiPattern(), tool.OpenaiName);
            Assert.Equal(tool.Name.Replace(".", "__"), tool.OpenaiName);
            Assert.InRange(tool.Description.Length, 20, 1024);
            Assert.NotNull(tool.InputValidator);
            Assert.False(string.IsNullOrWhiteSpace(tool.ApiVersion), tool.Name);
            Assert.Contains(tool.Kind, new[] { ToolKinds.Read, ToolKinds.Write });
        }
        Assert.Equal(Catalog.Tools.Count, Catalog.Tools.Select(t => t.Name).Distinct().Count());
        Assert.Equal(Catalog.Tools.Count, Catalog.Tools.Select(t => t.OpenaiName).Distinct().Count());
    }

    /// <summary>Recomputed here rather than trusting ToolRules, so a rule that stopped working shows up.</summary>
    [Fact]
    public void Every_path_placeholder_is_a_required_input_and_every_input_is_sent()
    {
        foreach (var tool in Catalog.Tools)
        {
            var schema = tool.InputSchema;
            var properties = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
            var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToHashSet() : [];
            Assert.Equal(JsonValueKind.False, schema.GetProperty("additionalProperties").ValueKind);
            Assert.Equal("object", schema.GetProperty("type").GetString());

            var inPath = InputPlaceholder().Matches(tool.Request.Path).Select(m => m.Groups[1].Value).ToList();
            foreach (var name in inPath)
            {
                Assert.True(properties.Contains(name), $"{tool.Name}: path {{{name}}} is no input");
                Assert.True(required.Contains(name), $"{tool.Name}: path {{{name}}} is not required");
            }
            var sent = inPath
                .Concat(tool.Request.Headers?.Values.SelectMany(v => InputPlaceholder().Matches(v).Select(m => m.Groups[1].Value)) ?? [])
                .Concat(tool.Request.Query?.Keys ?? Enumerable.Empty<string>())
                .Concat(tool.Request.Body?.Fields.Keys ?? Enumerable.Empty<string>())
                .Concat(tool.Request.Graphql?.Variables?.Keys ?? Enumerable.Empty<string>())
                .ToHashSet();
            foreach (var name in properties) Assert.True(sent.Contains(name), $"{tool.Name}: input {name} is not sent");
            Assert.Subset(properties, sent);
        }
    }

    [Theory]
    [InlineData("stripe.list_customers", "GET", "/v1/customers")]
    [InlineData("stripe.get_customer", "GET", "/v1/customers/{customer_id}")]
    [InlineData("stripe.list_charges", "GET", "/v1/charges")]
    [InlineData("stripe.create_refund", "POST", "/v1/refunds")]
    [InlineData("slack.post_message", "POST", "/api/chat.postMessage")]
    [InlineData("slack.list_channels", "GET", "/api/conversations.list")]
    [InlineData("slack.get_user", "GET", "/api/users.info")]
    [InlineData("slack.add_reaction", "POST", "/api/reactions.add")]
    [InlineData("github.list_repos", "GET", "/user/repos")]
    [InlineData("github.get_issue", "GET", "/repos/{owner}/{repo}/issues/{issue_number}")]
    [InlineData("github.create_issue", "POST", "/repos/{owner}/{repo}/issues")]
    [InlineData("github.list_pull_requests", "GET", "/repos/{owner}/{repo}/pulls")]
    [InlineData("notion.search", "POST", "/v1/search")]
    [InlineData("notion.get_page", "GET", "/v1/pages/{page_id}")]
    [InlineData("notion.create_page", "POST", "/v1/pages")]
    [InlineData("linear.list_issues", "POST", "/graphql")]
    [InlineData("linear.create_issue", "POST", "/graphql")]
    [InlineData("hubspot.list_contacts", "GET", "/crm/v3/objects/contacts")]
    [InlineData("hubspot.create_contact", "POST", "/crm/v3/objects/contacts")]
    [InlineData("shopify.list_orders", "GET", "/orders.json")]
    [InlineData("shopify.get_order", "GET", "/orders/{order_id}.json")]
    [InlineData("shopify.cancel_order", "POST", "/orders/{order_id}/cancel.json")]
    [InlineData("zendesk.list_tickets", "GET", "/api/v2/tickets.json")]
    [InlineData("zendesk.create_ticket", "POST", "/api/v2/tickets.json")]
    [InlineData("postmark.send_email", "POST", "/email")]
    [InlineData("twilio.send_sms", "POST", "/2010-04-01/Accounts/{secrets.account_sid}/Messages.json")]
    [InlineData("twilio.list_messages", "GET", "/2010-04-01/Accounts/{secrets.account_sid}/Messages.json")]
    public void The_tools_the_issue_names_exist_with_their_documented_request(string name, string method, string path)
    {
        var tool = Catalog.Find(name);
        Assert.NotNull(tool);
        Assert.Equal(method, tool.Request.Method);
        Assert.Equal(path, tool.Request.Path);
    }

    [Fact]
    public void Provider_specific_request_details_are_what_the_references_say()
    {
        var refund = Catalog.Find("stripe.create_refund")!;
        Assert.Equal(ToolBodyEncodings.Form, refund.Request.Body!.Encoding);
        Assert.Equal("{params.api_version}", refund.Request.Headers!["Stripe-Version"]);
        Assert.Equal(ToolKinds.Write, refund.Kind);
        Assert.Equal("issue_refunds", refund.Permission);
        Assert.Equal("metadata[plan]", JsonPointers.ToFormKey(JsonPointers.Split("/metadata/plan")!));

        Assert.Contains(Catalog.Find("slack.post_message")!.Success.Json!, c => c.Pointer == "/ok" && c.Value.ValueKind == JsonValueKind.True);
        Assert.Equal("2022-06-28", Catalog.Find("notion.search")!.Request.Headers!["Notion-Version"]);
        Assert.Equal("cancel_orders", Catalog.Find("shopify.cancel_order")!.Permission);
        Assert.Equal("page[size]", Catalog.Find("zendesk.list_tickets")!.Request.Query!["page_size"]);
        Assert.Equal(ToolBodyEncodings.Form, Catalog.Find("twilio.send_sms")!.Request.Body!.Encoding);
        var linear = Catalog.Find("linear.create_issue")!;
        Assert.Contains("issueCreate(input: $input)", linear.Request.Graphql!.Query);
        Assert.Equal("/input/teamId", linear.Request.Graphql.Variables!["team_id"]);
        Assert.Contains(linear.Success.Json!, c => c.Pointer == "/errors" && c.Absent == true);
        Assert.All(Catalog.Tools.Where(t => t.Request.Method == "GET"), t => Assert.Equal(ToolKinds.Read, t.Kind));
    }

    [Fact]
    public void Lookups_by_name_openai_name_and_provider()
    {
        Assert.Equal("stripe.create_refund", Catalog.FindByOpenAiName("stripe__create_refund")!.Name);
        Assert.Same(Catalog.Find("twilio.send_sms"), Catalog.FindByOpenAiName("twilio__send_sms"));
        Assert.Null(Catalog.Find("stripe__create_refund"));
        Assert.Null(Catalog.FindByOpenAiName("stripe.create_refund"));
        Assert.Null(Catalog.Find("nope.nothing"));
        Assert.Empty(Catalog.ForProvider("hacker_news"));
        var stripe = Catalog.ForProvider("stripe");
        Assert.All(stripe, t => Assert.Equal("stripe", t.Provider));
        Assert.Equal(stripe.Select(t => t.Name).Order(StringComparer.Ordinal), stripe.Select(t => t.Name));
    }

    [Fact]
    public void The_compiled_input_schemas_validate_calls_including_the_alternatives()
    {
        var refund = Catalog.Find("stripe.create_refund")!.InputValidator!;
        Assert.NotEmpty(refund.Validate("{}"));                                          // anyOf: a payment or a charge
        Assert.Empty(refund.Validate("""{"payment_intent": "pi_123", "amount": 500}"""));
        Assert.NotEmpty(refund.Validate("""{"payment_intent": "pi_123", "refund_all": true}"""));   // additionalProperties false
        Assert.NotEmpty(refund.Validate("""{"charge": "ch_1", "reason": "because"}"""));            // enum
        Assert.NotEmpty(refund.Validate("""{"charge": "ch_1", "amount": "5"}"""));                  // type

        var page = Catalog.Find("notion.create_page")!.InputValidator!;
        var id = "\"0123456789abcdef0123456789abcdef\"";
        Assert.Empty(page.Validate("{\"parent_page_id\": " + id + """, "properties": {"title": {}}}"""));
        Assert.NotEmpty(page.Validate($$$"""{"parent_page_id": {{{id}}}, "parent_database_id": {{{id}}}, "properties": {"a": 1}}""")); // oneOf
        Assert.NotEmpty(Catalog.Find("twilio.send_sms")!.InputValidator!.Validate("""{"to": "12345", "from": "+1", "body": "x"}""")); // pattern
    }

    // ---- each rule rejects a bad definition ----

    /// <summary>A small valid tool file for stripe; each case below breaks one thing in it.</summary>
    private static JsonObject ValidFile() => JsonNode.Parse("""
        {
          "provider": "stripe",
          "api_version": "test",
          "api_reference": "https://docs.stripe.com/api",
          "tools": [
            {
              "name": "stripe.get_thing",
              "openai_name": "stripe__get_thing",
              "title": "Get a thing",
              "description": "Gets a thing by id; use it to test the rules. Returns the thing.",
              "kind": "read",
              "permission": "read_things",
              "input_schema": {
                "type": "object",
                "properties": {
                  "thing_id": { "type": "string", "description": "The thing." },
                  "limit": { "type": "integer", "minimum": 1, "default": 10, "description": "How many." }
                },
                "required": ["thing_id"],
                "additionalProperties": false
              },
              "request": {
                "method": "GET",
                "base_url": "https://files.stripe.com",
                "path": "/v1/things/{thing_id}",
                "query": { "limit": "limit" },
                "headers": { "Stripe-Version": "{params.api_version}" }
              },
              "success": { "status": [200] }
            }
          ]
        }
        """)!.AsObject();

    private static JsonObject Tool(JsonObject file) => file["tools"]![0]!.AsObject();

    private static string LoadError(JsonObject file, string fileName = "stripe.json")
    {
        var dir = Directory.CreateTempSubdirectory("sb-tools-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "tools"));
            File.Copy(Path.Combine(ProviderCatalog.DefaultDirectory, "tool.schema.json"), Path.Combine(dir.FullName, "tool.schema.json"));
            File.WriteAllText(Path.Combine(dir.FullName, "tools", fileName), file.ToJsonString());
            var error = Assert.Throws<InvalidDataException>(() => ToolCatalog.Load(dir.FullName, Providers));
            Assert.True(error.Message.Contains(fileName, StringComparison.Ordinal), error.Message);
            return error.Message;
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void The_valid_base_definition_loads()
    {
        var dir = Directory.CreateTempSubdirectory("sb-tools-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "tools"));
            File.Copy(Path.Combine(ProviderCatalog.DefaultDirectory, "tool.schema.json"), Path.Combine(dir.FullName, "tool.schema.json"));
            File.WriteAllText(Path.Combine(dir.FullName, "tools", "stripe.json"), ValidFile().ToJsonString());
            var catalog = ToolCatalog.Load(dir.FullName, Providers);
            var tool = Assert.Single(catalog.Tools);
            Assert.Equal("stripe.get_thing", tool.Name);
            Assert.Equal("https://files.stripe.com", tool.Request.BaseUrl);
            Assert.Equal("test", tool.ApiVersion);
            Assert.Empty(tool.SecretInputs);
        }
        finally { dir.Delete(recursive: true); }
    }

    public static TheoryData<string, string> BrokenTools() => new()
    {
        // schema
        { """{"name": "Stripe.GetThing"}""", "name: PatternMismatch" },
        { """{"name": "stripe.a_name_that_is_far_too_long_for_any_function_calling_api_to_take"}""", "name: StringTooLong" },
        { """{"openai_name": "stripe.get_thing"}""", "openai_name: PatternMismatch" },
        { """{"kind": "delete"}""", "kind: NotInEnumeration" },
        { """{"description": "x"}""", "description: StringTooShort" },
        { """{"surprise": 1}""", "NoAdditionalPropertiesAllowed" },
        { """{"input_schema": {"type": "object", "properties": {}, "additionalProperties": true}}""", "input_schema.additionalProperties: NotInEnumeration" },
        { """{"input_schema": {"type": "array", "properties": {}, "additionalProperties": false}}""", "input_schema.type: NotInEnumeration" },
        { """{"input_schema": {"type": "object", "properties": {"ThingId": {"type": "string", "description": "x"}}, "additionalProperties": false}}""", "input_schema.properties.ThingId" },
        { """{"input_schema": {"type": "object", "properties": {"thing_id": {"type": "string", "const": "a", "description": "x"}}, "additionalProperties": false}}""", "input_schema.properties.thing_id" },
        { """{"success": {"status": [200], "json": [{"pointer": "/ok", "equals": true, "absent": true}]}}""", "NotOneOf" },
        { """{"success": {"status": [200], "json": [{"pointer": "ok", "equals": true}]}}""", "pointer: PatternMismatch" },
        { """{"success": {"status": [99]}}""", "NumberTooSmall" },
        { """{"input_schema": {"type": "object", "properties": {"thing_id": {"type": "string"}}, "additionalProperties": false}}""", "thing_id.description: PropertyRequired" },
        { """{"request": {"method": "TRACE", "path": "/v1/things"}}""", "request.method: NotInEnumeration" },
        // rules
        { """{"openai_name": "stripe__other_thing"}""", "openai_name 'stripe__other_thing' should be 'stripe__get_thing'" },
        { """{"name": "slack.get_thing", "openai_name": "slack__get_thing"}""", "does not start with its provider 'stripe.'" },
        { """{"kind": "write", "permission": "write_things"}""", "a GET tool must be kind read" },
        { """{"request": {"method": "GET", "path": "/v1/things/{nope}", "query": {"limit": "limit"}}}""", "request.path: 'nope' is not an input" },
        { """{"request": {"method": "GET", "path": "/v1/things/{limit}"}}""", "path input 'limit' is not required" },
        { """{"request": {"method": "GET", "base_url": "https://{thing_id}.stripe.com", "path": "/v1/things/{thing_id}", "query": {"limit": "limit"}}}""", "request.base_url: placeholder {thing_id} may only name params or secrets" },
        { """{"request": {"method": "GET", "base_url": "http://files.stripe.com", "path": "/v1/things/{thing_id}", "query": {"limit": "limit"}}}""", "base_url: PatternMismatch" },
        { """{"request": {"method": "GET", "path": "/v1/things"}}""", "input 'thing_id' is not sent anywhere" },
        { """{"request": {"method": "GET", "path": "/v1/things/{thing_id}", "query": {"limit": "limit", "other": "other"}}}""", "request.query: 'other' is not an input" },
        { """{"request": {"method": "GET", "path": "/v1/things/{thing_id}", "query": {"limit": "limit"}, "headers": {"Stripe-Version": "{params.nope}"}}}""", "names no param of provider 'stripe'" },
        { """{"request": {"method": "GET", "path": "/v1/things/{thing_id}", "query": {"limit": "limit"}, "headers": {"X-Key": "{secrets.api_key}"}}}""", "secrets go on a request only through the provider's inject spec" },
        { """{"request": {"method": "GET", "path": "/v1/{secrets.nope}/{thing_id}", "query": {"limit": "limit"}}}""", "names no secret of provider 'stripe'" },
        { """{"request": {"method": "GET", "path": "/v1/{secrets.webhook_secret}/{thing_id}", "query": {"limit": "limit"}}}""", "secret 'webhook_secret' may be unset" },
        { """{"request": {"method": "GET", "path": "/v1/things/{thing_id}", "query": {"limit": "limit"}, "headers": {"authorization": "Bearer {thing_id}"}}}""", "authorization is set by Switchboard" },
        { """{"request": {"method": "GET", "path": "/v1/things/{thing_id}", "body": {"encoding": "json", "fields": {"limit": "/limit"}}}}""", "a GET request has no body" },
        { """{"kind": "write", "request": {"method": "POST", "path": "/v1/things/{thing_id}", "body": {"encoding": "json", "fields": {"limit": "/a", "thing_id": "/a"}}}}""", "go to the same place" },
        { """{"kind": "write", "request": {"method": "POST", "path": "/v1/things", "body": {"encoding": "json", "fields": {"limit": "/a", "thing_id": "/a/b"}}}}""", "goes inside 'limit', which is not an object" },
        { """{"kind": "write", "request": {"method": "POST", "path": "/graphql", "graphql": {"query": "query Q($id: String!) { thing(id: $id) { id } }", "variables": {"thing_id": "/id", "limit": "/first"}}}}""", "fills $first, which the document does not declare" },
        { """{"input_schema": {"type": "object", "properties": {"thing_id": {"type": "string", "pattern": "([a-", "description": "x"}, "limit": {"type": "integer", "description": "x"}}, "required": ["thing_id"], "additionalProperties": false}}""", "pattern does not compile" },
        { """{"input_schema": {"type": "object", "properties": {"thing_id": {"type": "string", "description": "x"}, "limit": {"type": "integer", "minimum": 1, "default": 0, "description": "x"}}, "required": ["thing_id"], "additionalProperties": false}}""", "default 0 does not satisfy the schema" },
        { """{"input_schema": {"type": "object", "properties": {"thing_id": {"type": "string", "description": "x"}, "limit": {"type": "integer", "description": "x"}}, "required": ["thing_id", "nothing"], "additionalProperties": false}}""", "required 'nothing' is not a property" },
        { """{"input_schema": {"type": "object", "properties": {"thing_id": {"type": "string", "description": "x"}, "limit": {"type": "object", "description": "x"}}, "required": ["thing_id"], "additionalProperties": false}}""", "input 'limit' is not a string, integer, number or boolean" },
        { """{"input_schema": {"type": "object", "properties": {"thing_id": {"type": "string", "description": "x"}, "limit": {"type": "string", "x-switchboard-secret": true, "description": "x"}}, "required": ["thing_id"], "additionalProperties": false}}""", "input 'limit' is secret and may not go in the URL" },
        { """{"kind": "write", "input_schema": {"type": "object", "properties": {"thing_id": {"type": "string", "description": "x"}, "limit": {"type": "array", "items": {"type": "string"}, "description": "x"}}, "required": ["thing_id"], "additionalProperties": false}, "request": {"method": "POST", "path": "/v1/things/{thing_id}", "body": {"encoding": "form", "fields": {"limit": "/limit"}}}}""", "input 'limit' cannot be form-encoded" },
    };

    [Theory]
    [MemberData(nameof(BrokenTools))]
    public void A_broken_tool_stops_the_load_and_is_named(string patch, string expected)
    {
        var file = ValidFile();
        var tool = Tool(file);
        foreach (var (key, value) in JsonNode.Parse(patch)!.AsObject()) tool[key] = value?.DeepClone();
        var message = LoadError(file);
        Assert.True(message.Contains(expected, StringComparison.Ordinal), message);
    }

    [Fact]
    public void A_description_over_1024_characters_is_refused()
    {
        var file = ValidFile();
        Tool(file)["description"] = new string('a', 1025);
        var message = LoadError(file);
        Assert.True(message.Contains("description: StringTooLong", StringComparison.Ordinal), message);
    }

    [Fact]
    public void Duplicate_names_and_unknown_or_misnamed_providers_are_refused()
    {
        var file = ValidFile();
        file["tools"]!.AsArray().Add(Tool(file).DeepClone());
        var message = LoadError(file);
        Assert.Contains("tool name 'stripe.get_thing' is used 2 times", message);
        Assert.Contains("openai_name 'stripe__get_thing' is used 2 times", message);

        var unknown = ValidFile();
        unknown["provider"] = "nope";
        Assert.Contains("provider 'nope' is not in the catalog", LoadError(unknown, "nope.json"));

        Assert.Contains("provider 'stripe' does not match the file name", LoadError(ValidFile(), "slack.json"));
    }

    [Fact]
    public void Secret_inputs_are_listed_for_audit()
    {
        var file = ValidFile();
        var tool = Tool(file);
        tool["kind"] = "write";
        tool["input_schema"]!["properties"]!["password"] = JsonNode.Parse("""{"type": "string", "x-switchboard-secret": true, "description": "A password."}""");
        tool["input_schema"]!["properties"]!["nested"] = JsonNode.Parse(
            """{"type": "object", "properties": {"token": {"type": "string", "x-switchboard-secret": true}}, "description": "Holds a token."}""");
        tool["request"] = JsonNode.Parse("""
            {"method": "POST", "path": "/v1/things/{thing_id}", "query": {"limit": "limit"},
             "body": {"encoding": "json", "fields": {"password": "/password", "nested": "/nested"}}}
            """);
        var parsed = JsonSerializer.Deserialize<ToolDefinition>(tool.ToJsonString(), ProviderCatalog.Json)!;
        Assert.Empty(ToolRules.Check(parsed, Providers.Find("stripe")!));
        Assert.Equal(new[] { "/password", "/nested/token" }, new ToolInputSchema(parsed.InputSchema).SecretPointers());
    }

    [Fact]
    public void A_provider_without_an_inject_spec_cannot_have_tools()
    {
        var stripe = Providers.Find("stripe")!;
        var bare = JsonSerializer.Deserialize<ProviderDefinition>(
            JsonSerializer.Serialize(stripe, ProviderCatalog.Json).Replace("\"inject\":", "\"unused_inject\":"), new JsonSerializerOptions(ProviderCatalog.Json)
            {
                UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip,
            })!;
        Assert.Null(bare.Inject);
        var tool = JsonSerializer.Deserialize<ToolDefinition>(Tool(ValidFile()).ToJsonString(), ProviderCatalog.Json)!;
        Assert.Empty(ToolRules.Check(tool, stripe));
        Assert.Contains(ToolRules.Check(tool, bare), e => e.Contains("has no inject spec"));
    }

    [Fact]
    public void Json_pointers_split_and_refuse_what_is_not_a_pointer()
    {
        Assert.Equal(new[] { "a/b", "c~d" }, JsonPointers.Split("/a~1b/c~0d"));
        Assert.Null(JsonPointers.Split("a/b"));
        Assert.Null(JsonPointers.Split("/a//b"));
        Assert.Null(JsonPointers.Split("/a~2"));
        Assert.Equal("o:tag", JsonPointers.ToFormKey(JsonPointers.Split("/o:tag")!));
    }
}
