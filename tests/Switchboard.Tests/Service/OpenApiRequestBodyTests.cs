using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>Every route that reads a JSON body declares it in the OpenAPI document, with the members it takes.</summary>
public sealed class OpenApiRequestBodyTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Theory]
    [InlineData("/api/v1/integrations/{id}/install", "post", false, "params,secrets,base_url_override,allowed_redirect_origins")]
    [InlineData("/api/v1/api-keys", "post", true, "name,scopes,project_id")]
    [InlineData("/api/v1/projects", "post", true, "name")]
    [InlineData("/api/v1/projects/{projectId}", "patch", true, "name")]
    [InlineData("/api/v1/projects/{projectId}/integrations/{provider}/lifecycle", "patch", true, "status,display_name,sidebar_enabled,settings,action_permissions")]
    [InlineData("/api/v1/providers", "post", true, "name,display_name,auth_type,params,secrets,oauth,inject")]
    [InlineData("/api/v1/providers/{name}", "put", true, "name,display_name,auth_type,params,secrets,oauth,inject")]
    [InlineData("/api/v1/integrations/{customerIntegrationId}/users/{userId}/auth-url", "post", false, "redirectUri")]
    public async Task A_json_body_route_declares_its_request_body(string path, string method, bool required, string members)
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        var operation = Path(doc, path)[method]!;
        var body = operation["requestBody"]!;
        Assert.Equal(required, body["required"]?.GetValue<bool>() ?? false);
        var schema = Resolve(doc, body["content"]!["application/json"]!["schema"]!);
        var properties = schema["properties"]!.AsObject().Select(p => p.Key).ToHashSet();
        Assert.All(members.Split(','), m => Assert.Contains(m, properties));
        Assert.DoesNotContain("has_display_name", properties);
        Assert.Contains("413", operation["responses"]!.AsObject().Select(r => r.Key));
    }

    [Fact]
    public async Task Bodyless_routes_declare_no_request_body_and_every_api_route_declares_its_problems()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        Assert.Null(Path(doc, "/api/v1/integrations/{id}/uninstall")["post"]!["requestBody"]);
        // The OAuth browser legs take no API key (they are reached by a browser with a handle or state), so they have no 401.
        foreach (var (path, item) in doc["paths"]!.AsObject().Where(p => p.Key.StartsWith("/api/v1/", StringComparison.Ordinal) && !p.Key.StartsWith("/api/v1/oauth/", StringComparison.Ordinal)))
            foreach (var (_, operation) in item!.AsObject())
                Assert.Contains("401", operation!["responses"]!.AsObject().Select(r => r.Key));
    }

    private static JsonNode Path(JsonNode doc, string path) =>
        doc["paths"]![path] ?? doc["paths"]![path + "/"] ?? throw new Xunit.Sdk.XunitException($"{path} is not in the document");

    private static JsonNode Resolve(JsonNode doc, JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? doc["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!
            : schema;
}
