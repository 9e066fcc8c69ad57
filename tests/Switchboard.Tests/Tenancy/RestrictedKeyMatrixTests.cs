using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.Tenancy;

/// <summary>
/// Every route of the service (read from the app's EndpointDataSource, so a route added later is in the matrix too),
/// called by a key with every scope that is restricted to project P2, with a plausible body and the ids of the
/// default project's resources: each answers 403 or 404, or — for the few reads that serve only the key's own
/// project or account-wide definitions — 2xx without a trace of the default project; never 5xx; and the database
/// is the same afterwards.
/// </summary>
public sealed class RestrictedKeyMatrixTests(TenancyApp app, ITestOutputHelper output) : IClassFixture<TenancyApp>
{
    /// <summary>
    /// Reads a restricted key may make: they show its own project (its catalog, projects list, keys, audit events), the
    /// account's custom providers (they are in every project's catalog), its MCP connections and native tools.
    /// </summary>
    private static readonly HashSet<string> OwnProjectReads =
    [
        "GET /api/v1/integrations/",
        "GET /api/v1/mcp-connections/",
        "GET /api/v1/native-tools/",
        "GET /api/v1/projects/",
        "GET /api/v1/api-keys/",
        "GET /api/v1/audit-log",
        "GET /api/v1/providers/",
        "GET /api/v1/providers/{name}",
        "GET /api/v1/webhook-endpoints/",
    ];

    /// <summary>
    /// Calls that name a provider, not a resource id, and act on the key's own project: there the default project's
    /// install does not exist, so they answer 409 integration_not_active and send nothing.
    /// </summary>
    private static readonly HashSet<string> OwnProjectCalls =
    [
        "POST /api/v1/native-tools/{name}/invoke",
        .. new[] { "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE" }.Select(m => m + " /api/v1/proxy/{provider}/{**path}"),
    ];

    /// <summary>
    /// Routes that act on the key's own project only, whatever is asked (MCP tests cover what they serve): a create with
    /// no body (refused as invalid, so nothing is written), and Switchboard's MCP server, which answers a bare HTTP call
    /// with a protocol error. Any status below 500, no trace of the default project, nothing written.
    /// </summary>
    private static readonly HashSet<string> OwnProjectOnly =
    [
        "POST /api/v1/mcp-connections/",
        "POST /mcp/",
    ];

    /// <summary>Plausible bodies: each would succeed if the key could reach the resource.</summary>
    private static JsonNode? BodyFor(string route, DefaultProjectResources r) => route switch
    {
        "POST /api/v1/integrations/{id}/install" => new JsonObject { ["secrets"] = new JsonObject { ["api_key"] = "sk_test_FromTheOtherProject42" } },
        "PATCH /api/v1/projects/{projectId}/integrations/{provider}/lifecycle" => new JsonObject { ["status"] = "paused", ["display_name"] = "taken" },
        "POST /api/v1/projects/" => new JsonObject { ["name"] = "p3" },
        "PATCH /api/v1/projects/{projectId}" => new JsonObject { ["name"] = "renamed" },
        "POST /api/v1/api-keys/" => new JsonObject { ["name"] = "escalate", ["scopes"] = new JsonArray("admin"), ["project_id"] = r.Account.ProjectId },
        "POST /api/v1/providers/" => DefaultProjectResources.CustomDefinition("p2_provider"),
        "POST /api/v1/webhook-endpoints/" => new JsonObject { ["url"] = "https://attacker.example.net/hook", ["project_id"] = r.Account.ProjectId },
        "PATCH /api/v1/webhook-endpoints/{id}" => new JsonObject { ["url"] = "https://attacker.example.net/hook" },
        "PUT /api/v1/providers/{name}" => DefaultProjectResources.CustomDefinition(DefaultProjectResources.CustomProvider, "https://attacker.example.net/token"),
        "POST /api/v1/integrations/{customerIntegrationId}/users/{userId}/auth-url" => new JsonObject { ["redirectUri"] = "https://attacker.example.net/done" },
        // Sessions act on the key's own project: naming the default project's install is what would reach it.
        "POST /api/v1/connect/sessions" => new JsonObject { ["end_user"] = new JsonObject { ["id"] = "u_1" }, ["integrations"] = new JsonArray("stripe") },
        _ => null,
    };

    [Fact]
    public async Task Every_route_called_with_a_key_of_another_project_is_403_or_404_and_changes_nothing()
    {
        var r = await DefaultProjectResources.CreateAsync(app);
        var routes = ServiceRoutes.All(app);
        // The matrix must really be the whole service: the routes this issue is about are in it.
        Assert.Contains(routes, x => x.Name == "PUT /api/v1/providers/{name}");
        Assert.Contains(routes, x => x.Name == "POST /api/v1/integrations/{id}/uninstall");
        Assert.True(routes.Count >= 35, $"only {routes.Count} routes found");

        var before = await DatabaseSnapshot.TakeAsync(app);
        var client = r.Restricted();
        var failures = new List<string>();
        foreach (var route in routes.OrderBy(x => x.Name, StringComparer.Ordinal))
        {
            var path = ServiceRoutes.PathOf(route, r);
            var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
            var sent = BodyFor(route.Name, r)?.ToJsonString();
            if (sent is not null) request.Content = Api.Json(sent);
            else if (route.Name == "POST /connect/{token}")
                request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["nonce"] = "n", ["secrets.api_key"] = "x" });
            var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            var verdict = $"{route.Name} ({path}) → {status}: {(text.Length > 300 ? text[..300] : text)}";
            output.WriteLine($"{route.Name} → {status}");

            if (status >= 500) failures.Add("5xx: " + verdict);
            else if (route.Anonymous) { /* opened by a capability in the URL or public; any 2xx-4xx, no data of the project */ }
            else if (status is 403 or 404)
            {
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") failures.Add("not problem+json: " + verdict);
            }
            else if (status is >= 200 and < 300 && OwnProjectReads.Contains(route.Name)) { }
            else if (status == 409 && OwnProjectCalls.Contains(route.Name) && text.Contains("\"integration_not_active\"", StringComparison.Ordinal)) { }
            else if (OwnProjectOnly.Contains(route.Name)) { }
            else failures.Add("expected 403/404: " + verdict);

            // A 404 may name the id it was asked for; anything else of the default project must not show.
            foreach (var canary in r.Canaries.Where(c => !path.Contains(c, StringComparison.Ordinal) && sent?.Contains(c, StringComparison.Ordinal) != true))
                if (text.Contains(canary, StringComparison.Ordinal)) failures.Add($"leaks '{canary}': " + verdict);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        DatabaseSnapshot.AssertUnchanged(before, await DatabaseSnapshot.TakeAsync(app));
    }
}
