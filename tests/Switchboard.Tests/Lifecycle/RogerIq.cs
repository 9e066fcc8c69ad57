using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Lifecycle;

/// <summary>Small HTTP steps shared by the projects, lifecycle and audit tests (all through the public API).</summary>
public static class RogerIq
{
    public const string StripeKey = "sk_test_Zq9SecretValue4711";

    public static async Task<string> CreateProjectAsync(this HttpClient client, string name)
    {
        var body = await (await client.PostJson("/api/v1/projects", new { name })).ShouldBe(HttpStatusCode.Created);
        return body["data"]!["id"]!.GetValue<string>();
    }

    /// <summary>Creates an API key (optionally restricted to a project) and returns its value.</summary>
    public static async Task<(string Key, string Id)> CreateKeyAsync(this HttpClient admin, string? projectId, params string[] scopes)
    {
        var body = await (await admin.PostJson("/api/v1/api-keys", new { name = "k" + Guid.NewGuid().ToString("N")[..8], scopes, project_id = projectId }))
            .ShouldBe(HttpStatusCode.Created);
        return (body["key"]!.GetValue<string>(), body["api_key"]!["id"]!.GetValue<string>());
    }

    /// <summary>Kataven install of stripe (a secret) or of a provider that needs nothing.</summary>
    public static async Task InstallAsync(this HttpClient client, string provider)
    {
        object body = provider == "stripe" ? new { secrets = new { api_key = StripeKey } } : new { };
        await (await client.PostJson($"/api/v1/integrations/{provider}/install", body)).ShouldBe(HttpStatusCode.OK);
    }

    public static async Task<JsonNode> PatchLifecycleAsync(this HttpClient client, string projectId, string provider, object body,
        HttpStatusCode expected = HttpStatusCode.OK, string? code = null)
    {
        var response = await client.PatchAsync($"/api/v1/projects/{projectId}/integrations/{provider}/lifecycle", Infrastructure.Api.Json(body));
        return await response.ShouldBe(expected, code);
    }

    public static async Task<JsonNode> CatalogEntryAsync(this HttpClient client, string projectId, string provider) =>
        (await (await client.GetAsync($"/api/v1/projects/{projectId}/integrations/catalog/{provider}")).ShouldBe(HttpStatusCode.OK))["data"]!;

    public static async Task<string> KatavenStatusAsync(this HttpClient client, string provider) =>
        (await (await client.GetAsync($"/api/v1/integrations/{provider}")).ShouldBe(HttpStatusCode.OK))["status"]!.GetValue<string>();

    public static async Task<JsonArray> AuditAsync(this HttpClient client, string query = "") =>
        (await (await client.GetAsync("/api/v1/audit-log?limit=200&" + query)).ShouldBe(HttpStatusCode.OK))["data"]!.AsArray();

    public static string S(this JsonNode? node) => node!.GetValue<string>();
}
