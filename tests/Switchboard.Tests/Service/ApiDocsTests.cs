using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>/docs as a self-hosted product's page: no hosted-service features; both key schemes; the README's first calls.</summary>
public sealed class ApiDocsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task The_docs_page_turns_off_the_hosted_service_features()
    {
        var page = await app.CreateClient().GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("\"agent\":{\"disabled\":true}", html);          // "Ask AI"
        Assert.Contains("\"mcp\":{\"disabled\":true}", html);
        Assert.Contains("\"showDeveloperTools\":\"never\"", html);       // the toolbar with "Generate SDK" and "Deploy"
        Assert.Contains("\"telemetry\":false", html);
        Assert.Contains("\"withDefaultFonts\":false", html);             // no fonts from a CDN
        Assert.Contains("\"preferredSecurityScheme\":[\"bearer\"]", html);
    }

    [Fact]
    public async Task The_openapi_document_offers_bearer_and_x_api_key_and_shows_the_first_calls()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        var schemes = doc["components"]!["securitySchemes"]!;
        Assert.Equal("bearer", schemes["bearer"]!["scheme"]!.GetValue<string>());
        Assert.Equal("apiKey", schemes["api_key"]!["type"]!.GetValue<string>());
        Assert.Equal("header", schemes["api_key"]!["in"]!.GetValue<string>());
        Assert.Equal("X-API-Key", schemes["api_key"]!["name"]!.GetValue<string>());
        // Per operation, requirement objects are alternatives (either key scheme), not both at once.
        var install = doc["paths"]!["/api/v1/integrations/{id}/install"]!["post"]!;
        var requirements = install["security"]!.AsArray().Select(r => string.Join(",", r!.AsObject().Select(p => p.Key))).ToList();
        Assert.Contains("bearer", requirements);
        Assert.Contains("api_key", requirements);

        var description = doc["info"]!["description"]!.GetValue<string>();
        Assert.Contains("curl -s \"$API/integrations/stripe\"", description);
        Assert.Contains("X-API-Key", description);
        var example = doc["paths"]!["/api/v1/integrations/{id}/install"]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"]!;
        Assert.Equal("2024-06-20", example["params"]!["api_version"]!.GetValue<string>());
    }
}
