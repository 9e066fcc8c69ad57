using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crypto;

/// <summary>No key configured and none may be created: the service runs, secrets are refused with 503.</summary>
public sealed class NoKeyApp : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Switchboard:Crypto:Keys"] = "" };
}

public sealed class EncryptionUnavailableTests(NoKeyApp app) : IClassFixture<NoKeyApp>
{
    [Fact]
    public async Task Installing_secrets_is_503_and_writes_nothing()
    {
        var account = await app.CreateAccountAsync();
        var body = await (await account.Client().PostJson("/api/v1/integrations/stripe/install",
            new { secrets = new { api_key = "sk_test_abcdefghijklmnop" } })).ShouldBe(HttpStatusCode.ServiceUnavailable, "encryption_unavailable");
        Assert.Equal("Secret encryption service unavailable", body["title"]!.GetValue<string>());
        Assert.Equal(0, await app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId)));
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId)));
    }

    [Fact]
    public async Task Everything_that_needs_no_secret_keeps_working()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await (await client.GetAsync("/api/v1/integrations")).ShouldBe(HttpStatusCode.OK);
        await (await client.GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        await (await client.PostAsync("/api/v1/integrations/hacker_news/install", null)).ShouldBe(HttpStatusCode.OK);
        await (await client.PostAsync("/api/v1/integrations/hacker_news/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        var health = await (await app.CreateClient().GetAsync("/healthz")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("unavailable", health["encryption"]!.GetValue<string>());
    }
}
