using System.Diagnostics;
using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

public sealed class ServiceTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task The_openapi_document_lists_the_seed_endpoints_and_the_docs_page_is_served()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/v1/integrations", paths);
        Assert.Contains("/api/v1/integrations/{id}", paths);
        Assert.Contains("/api/v1/integrations/{id}/install", paths);
        Assert.Contains("/api/v1/integrations/{id}/uninstall", paths);
        Assert.Contains("/api/v1/mcp-connections", paths);
        Assert.Contains("/api/v1/native-tools", paths);
        var docs = await app.CreateClient().GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().GetAsync("/api/v1/nothing-here")).ShouldBe(HttpStatusCode.NotFound, "not_found");
        await (await account.Client().DeleteAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        await (await app.CreateClient().PostAsync("/healthz", null)).ShouldBe(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }
}

/// <summary>A node whose PostgreSQL is down: requests that need it answer 503 quickly instead of hanging.</summary>
public sealed class DeadDatabaseApp : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Switchboard:Database:Provider"] = "postgres",
        ["Switchboard:Database:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=none",
        ["Switchboard:Database:MigrateOnStartup"] = "false",
        ["Switchboard:Crypto:Keys"] = $"k1:{KeyK1}",
    };
}

public sealed class DatabaseUnavailableTests(DeadDatabaseApp app) : IClassFixture<DeadDatabaseApp>
{
    [Fact]
    public async Task An_unreachable_database_is_a_quick_503_problem()
    {
        var watch = Stopwatch.StartNew();
        var response = await app.AdminClient("acc_anything").GetAsync("/api/v1/integrations");
        await response.ShouldBe(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal("2", response.Headers.RetryAfter?.ToString());
        var health = await (await app.CreateClient().GetAsync("/healthz")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("ok", health["status"]!.GetValue<string>());
    }
}
