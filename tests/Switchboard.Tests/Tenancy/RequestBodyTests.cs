using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Switchboard.Http;
using Switchboard.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.Tenancy;

/// <summary>
/// Every write route of the API (from the EndpointDataSource), with the account's own key on its own resources, answers
/// a bad body like the routes that read one: another content type 415, malformed JSON 400, a JSON value that is not an
/// object 400, over the cap 413 — and writes nothing. The routes that take no body accept none, or an empty JSON object.
/// </summary>
public sealed class RequestBodyTests(TenancyApp app, ITestOutputHelper output) : IClassFixture<TenancyApp>
{
    private static HttpContent Body(string text, string mediaType) => new StringContent(text, Encoding.UTF8, mediaType);

    private static readonly (string Name, Func<HttpContent> Content, HttpStatusCode Status, string Code)[] BadBodies =
    [
        ("xml", () => Body("<uninstall><now>true</now></uninstall>", "application/xml"), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"),
        ("text", () => Body("please", "text/plain"), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"),
        ("malformed", () => Body("{\"status\": ", "application/json"), HttpStatusCode.BadRequest, "malformed_json"),
        ("duplicate", () => Body("{\"a\": 1, \"a\": 2}", "application/json"), HttpStatusCode.BadRequest, "malformed_json"),
        ("not an object", () => Body("[1, 2]", "application/json"), HttpStatusCode.BadRequest, "validation_failed"),
        ("2 MB", () => Body("{\"pad\": \"" + new string('x', 2 * 1024 * 1024) + "\"}", "application/json"), HttpStatusCode.RequestEntityTooLarge, "payload_too_large"),
    ];

    /// <summary>The proxy's body is the provider's, whatever its media type: it is forwarded as it is (ProxyTests covers its 413).</summary>
    private static List<ServiceRoute> WriteRoutes(SwitchboardApp app) =>
        ServiceRoutes.All(app).Where(r => r.IsWrite && !r.Anonymous && r.Pattern.RawText!.StartsWith("/api/v1/", StringComparison.Ordinal)
                                          && !r.Pattern.RawText.StartsWith("/api/v1/proxy/", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Every_write_route_refuses_a_bad_body_and_writes_nothing()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var routes = WriteRoutes(app);
        Assert.Contains(routes, x => x.Name == "POST /api/v1/integrations/{id}/uninstall");
        Assert.Contains(routes, x => x.Name == "POST /api/v1/projects/{projectId}/integrations/{provider}/install-url");
        Assert.Contains(routes, x => x.Name == "POST /api/v1/integrations/{id}/health/check");

        var client = r.Account.Client();
        var before = await DatabaseSnapshot.TakeAsync(app);
        var failures = new List<string>();
        foreach (var route in routes)
        foreach (var (name, content, status, code) in BadBodies)
        {
            var path = ServiceRoutes.PathOf(route, r);
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(route.Method), path) { Content = content() });
            var text = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{route.Name} {name} → {(int)response.StatusCode}");
            if (response.StatusCode != status || !text.Contains($"\"code\":\"{code}\"", StringComparison.Ordinal)
                || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{route.Name} with a {name} body → {(int)response.StatusCode}: {(text.Length > 200 ? text[..200] : text)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        DatabaseSnapshot.AssertUnchanged(before, await DatabaseSnapshot.TakeAsync(app));
    }

    [Fact]
    public async Task The_routes_that_take_no_body_accept_none_or_an_empty_object()
    {
        var bodyless = WriteRoutes(app).Where(x => x.Metadata.GetMetadata<ReadsRequestBody>() is null).ToList();
        Assert.Contains(bodyless, x => x.Name == "POST /api/v1/integrations/{id}/uninstall");
        Assert.Contains(bodyless, x => x.Name == "DELETE /api/v1/api-keys/{id}");
        var failures = new List<string>();
        foreach (var route in bodyless)
        foreach (var (name, content) in new (string, Func<HttpContent?>)[]
                 {
                     ("no", () => null),
                     ("an empty object", () => Body("{}", "application/json")),
                     ("an object", () => Body("{\"reason\": \"ignored\"}", "application/json")),
                     ("an empty xml", () => Body("", "application/xml")),
                 })
        {
            // Fresh resources each time: the DELETEs and uninstall really happen.
            var r = await DefaultProjectResources.CreateAsync(app);
            var request = new HttpRequestMessage(new HttpMethod(route.Method), ServiceRoutes.PathOf(route, r)) { Content = content() };
            var response = await r.Account.Client().SendAsync(request);
            output.WriteLine($"{route.Name} with {name} body → {(int)response.StatusCode}");
            if ((int)response.StatusCode is 400 or 413 or 415 or >= 500)
                failures.Add($"{route.Name} with {name} body → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Uninstall_with_a_bad_body_keeps_the_integration_installed()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var client = r.Account.Client();
        var xml = new StringContent("<x/>");
        xml.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
        await (await client.PostAsync("/api/v1/integrations/stripe/uninstall", xml)).ShouldBe(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await (await client.PostAsync("/api/v1/integrations/stripe/uninstall", Api.Json("{not json"))).ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
        Assert.Equal("installed", (await (await client.GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK))["status"]!.GetValue<string>());
        await (await client.PostAsync("/api/v1/integrations/stripe/uninstall", Api.Json("{}"))).ShouldBe(HttpStatusCode.OK);
        // A method the route does not serve stays a 405 whatever the body.
        await (await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/integrations") { Content = Api.Json("{not json") }))
            .ShouldBe(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        Assert.Equal("available", (await (await client.GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK))["status"]!.GetValue<string>());
    }
}
