using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Http;
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

    /// <summary>Not only the routes listed above: any route that reads a body (metadata ReadsRequestBody) and is in the document.</summary>
    [Fact]
    public async Task Every_documented_route_that_reads_a_body_declares_its_json_schema()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        var readers = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ReadsRequestBody>() is not null && e.Metadata.GetMetadata<ForwardsRequestBody>() is null
                        && e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => (Path: Template(e.RoutePattern.RawText!), Method: m.ToLowerInvariant())))
            .ToList();
        // The theory's routes are among them (later features add their own; each must declare a schema with members).
        Assert.All(DeclaredRoutes, r => Assert.Contains((r.Path.TrimEnd('/'), r.Method), readers.Select(x => (x.Path.TrimEnd('/'), x.Method))));
        foreach (var (path, method) in readers)
        {
            var body = Path(doc, path)[method]?["requestBody"];
            Assert.True(body is not null, $"{method} {path} reads a body but declares none");
            var schema = Resolve(doc, body!["content"]!["application/json"]!["schema"]!);
            Assert.True(schema["properties"]?.AsObject().Count > 0, $"{method} {path}: its request body schema has no properties");
        }
    }

    /// <summary>The routes of the theory above, as (path, method).</summary>
    private static readonly (string Path, string Method)[] DeclaredRoutes = typeof(OpenApiRequestBodyTests)
        .GetMethod(nameof(A_json_body_route_declares_its_request_body))!.GetCustomAttributes(typeof(InlineDataAttribute), false)
        .Cast<InlineDataAttribute>().Select(a => ((string)a.GetData(null!).First()[0], (string)a.GetData(null!).First()[1])).ToArray();

    /// <summary>A route template as the document spells it: leading slash, no route constraints.</summary>
    private static string Template(string raw) => "/" + System.Text.RegularExpressions.Regex.Replace(raw.TrimStart('/'), @"\{([^}:=?]+)[^}]*\}", "{$1}");

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
        doc["paths"]![path] ?? doc["paths"]![path + "/"] ?? doc["paths"]![path.TrimEnd('/')] ?? throw new Xunit.Sdk.XunitException($"{path} is not in the document");

    private static JsonNode Resolve(JsonNode doc, JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? doc["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!
            : schema;
}
