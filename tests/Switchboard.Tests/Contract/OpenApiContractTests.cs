using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Catalog;
using Switchboard.Hosting.OpenApi;
using Switchboard.Http;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Contract;

/// <summary>
/// The checked-in contract is what the service serves, and every route — today's and every one added later — is held
/// to the same rules: an operation id, a tag, its security, a concrete 2xx, and every problem answer with the shared
/// schema and its codes.
/// </summary>
public sealed class OpenApiContractTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private static readonly string[] Anonymous = ["/healthz", "/readyz", "/api/v1/oauth/start/{handle}", "/api/v1/oauth/callback"];

    private async Task<JsonNode> ServedAsync() =>
        await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);

    [Fact]
    public async Task The_checked_in_openapi_v1_json_is_what_the_service_serves()
    {
        var served = await ServedAsync();
        var checkedIn = JsonNode.Parse(await File.ReadAllTextAsync(ContractTools.CheckedInDocument))!;
        var difference = FirstDifference(checkedIn, served, "$");
        Assert.True(difference is null, $"openapi/v1.json differs from the served document at {difference}; run scripts/openapi.sh --clients and commit the result.");
    }

    [Fact]
    public async Task Every_operation_declares_its_id_tag_security_success_and_problems()
    {
        var doc = await ServedAsync();
        Assert.Equal("http://127.0.0.1:5080", doc["servers"]![0]!["url"]!.GetValue<string>());
        Assert.Null(doc["security"]);
        var schemes = doc["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal("X-API-Key", schemes[ContractDocument.ApiKeyScheme]!["name"]!.GetValue<string>());
        Assert.Equal("bearer", schemes[ContractDocument.BearerScheme]!["scheme"]!.GetValue<string>());
        Assert.Equal("X-Account-ID", schemes[ContractDocument.AccountScheme]!["name"]!.GetValue<string>());
        Assert.NotNull(doc["info"]!["license"]);

        var failures = new List<string>();
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
            {
                var where = $"{method.ToUpperInvariant()} {path}";
                var responses = op!["responses"]!.AsObject();
                var codes = responses.Select(r => r.Key).ToHashSet();
                if (op["operationId"] is null) failures.Add($"{where}: no operationId");
                if (op["tags"] is not JsonArray { Count: > 0 }) failures.Add($"{where}: no tag");
                if (op["security"] is not JsonArray security) { failures.Add($"{where}: no security declared"); continue; }
                if (Anonymous.Contains(path) != (security.Count == 0)) failures.Add($"{where}: security {security.ToJsonString()}");
                if (security.Count > 0)
                    foreach (var needed in new[] { "401", "403", "429", "503" })
                        if (!codes.Contains(needed)) failures.Add($"{where}: no {needed}");
                if (method is "post" or "put" or "patch" or "delete")
                    foreach (var needed in new[] { "400", "413", "415" })
                        if (!codes.Contains(needed)) failures.Add($"{where}: a write without {needed}");
                if (path.Contains('{') && path != "/api/v1/oauth/start/{handle}" && !codes.Contains("404")) failures.Add($"{where}: an id route without 404");
                if (!codes.Any(c => c[0] is '2' or '3')) failures.Add($"{where}: no success answer");
                foreach (var (code, response) in responses)
                {
                    var content = response!["content"]?.AsObject();
                    if (code[0] is '4' or '5')
                    {
                        if (content?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>() != "#/components/schemas/Problem")
                            failures.Add($"{where} {code}: not the shared problem schema");
                        if (!response["description"]!.GetValue<string>().Contains('`')) failures.Add($"{where} {code}: no codes listed");
                    }
                    else if (code is not ("204" or "302") && (content is null || content.Any(c => c.Value?["schema"] is null)))
                        failures.Add($"{where} {code}: no schema");
                }
            }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_route_that_reads_a_JSON_body_declares_it()
    {
        var doc = await ServedAsync();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var failures = new List<string>();
        // A forwarded body (the proxy) is any content, passed on unread: nothing to declare as JSON.
        foreach (var e in endpoints.Where(e => e.Metadata.GetMetadata<ReadsRequestBody>() is not null && e.Metadata.GetMetadata<ForwardsRequestBody>() is null))
        {
            // Hosted pages take HTML forms and are not part of the API document.
            if (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription == true) continue;
            var path = "/" + e.RoutePattern.RawText!.TrimStart('/').TrimEnd('/');
            foreach (var method in e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                var op = doc["paths"]![path]?[method.ToLowerInvariant()];
                if (e.Metadata.GetMetadata<JsonRequestBodyType>() is null || op?["requestBody"]?["content"]?["application/json"]?["schema"] is null)
                    failures.Add($"{method} {path} reads a body but declares none (.AcceptsJson<T>())");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Values_are_typed_as_the_service_reads_and_writes_them()
    {
        var doc = await ServedAsync();
        var schemas = doc["components"]!["schemas"]!;
        // Every paging limit is an integer.
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (_, op) in item!.AsObject())
                foreach (var p in op!["parameters"]?.AsArray() ?? [])
                    if (p!["name"]!.GetValue<string>() == "limit") Assert.Equal("integer", p["schema"]!["type"]!.GetValue<string>());
        // Closed sets are enums from the catalog, the lifecycle and the scopes.
        Assert.Equal(Categories.All, Strings(schemas["IntegrationView"]!["properties"]!["category"]!["enum"]!));
        Assert.Equal(AuthTypes.All, Strings(schemas["ProviderDefinition"]!["properties"]!["auth_type"]!["enum"]!));
        Assert.Equal(["available", "installed"], Strings(schemas["IntegrationView"]!["properties"]!["status"]!["enum"]!).Order());
        Assert.Equal(["active", "disconnected", "paused"], Strings(schemas["LifecyclePatch"]!["properties"]!["status"]!["enum"]!).Order());
        Assert.Equal(Scopes.All, Strings(schemas["CreateApiKeyRequest"]!["properties"]!["scopes"]!["items"]!["enum"]!));
        // List entries have their own schema without param_schema/secret_schema; the single view has both.
        var summary = schemas[ContractDocument.SummarySchema]!;
        Assert.Null(summary["properties"]!["param_schema"]);
        Assert.DoesNotContain("secret_schema", Strings(summary["required"]!));
        Assert.Contains("param_schema", Strings(schemas["IntegrationView"]!["required"]!));
        Assert.Equal("#/components/schemas/IntegrationSummary", schemas["IntegrationList"]!["properties"]!["integrations"]!["items"]!["$ref"]!.GetValue<string>());
        // Optional request members are not required (an empty install body is valid).
        Assert.Null(schemas["InstallIntegrationRequest"]!["required"]);
        Assert.Equal(["name", "scopes"], Strings(schemas["CreateApiKeyRequest"]!["required"]!).Order());
        // Counts are numbers, not "integer or string".
        Assert.Equal("integer", schemas["IntegrationCounts"]!["properties"]!["total"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_two_shape_list_and_the_browser_legs_are_documented_as_they_answer()
    {
        var doc = await ServedAsync();
        var list = doc["paths"]!["/api/v1/integrations"]!["get"]!;
        Assert.Contains(list["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "active" && p["schema"]!["type"]!.GetValue<string>() == "boolean");
        var shapes = list["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["oneOf"]!.AsArray();
        Assert.Equal("#/components/schemas/IntegrationList", shapes[0]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/ToolregistryIntegration", shapes[1]!["items"]!["$ref"]!.GetValue<string>());

        foreach (var leg in new[] { "/api/v1/oauth/start/{handle}", "/api/v1/oauth/callback" })
        {
            var responses = doc["paths"]![leg]!["get"]!["responses"]!.AsObject();
            Assert.NotNull(responses["302"]!["headers"]!["Location"]);
            Assert.All(responses.Where(r => r.Key[0] is '4' or '5'), r => Assert.NotNull(r.Value!["content"]!["text/html"]));
        }
        Assert.NotNull(doc["paths"]!["/api/v1/oauth/callback"]!["get"]!["responses"]!["200"]!["content"]!["text/html"]);
    }

    [Fact]
    public async Task Every_route_specific_entry_names_an_existing_operation()
    {
        var doc = await ServedAsync();
        var ids = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => o.Value!["operationId"]?.GetValue<string>())).ToHashSet();
        Assert.All(RouteSpecifics.ById.Keys, id => Assert.Contains(id, ids));
    }

    private static string[] Strings(JsonNode array) => array.AsArray().Select(v => v?.GetValue<string>() ?? "null").Where(v => v != "null").ToArray();

    private static string? FirstDifference(JsonNode? a, JsonNode? b, string path)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)))
                if (FirstDifference(oa[key], ob[key], $"{path}.{key}") is { } d) return d;
            return null;
        }
        if (a is JsonArray aa && b is JsonArray ab)
        {
            if (aa.Count != ab.Count) return $"{path} (length {aa.Count} vs {ab.Count})";
            for (var i = 0; i < aa.Count; i++)
                if (FirstDifference(aa[i], ab[i], $"{path}[{i}]") is { } d) return d;
            return null;
        }
        return JsonNode.DeepEquals(a, b) ? null : $"{path} ({a?.ToJsonString() ?? "absent"} vs {b?.ToJsonString() ?? "absent"})";
    }
}
