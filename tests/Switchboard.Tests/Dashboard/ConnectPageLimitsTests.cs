using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Dashboard;

/// <summary>Install links that live one second.</summary>
public sealed class ShortLinkApp : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Switchboard:InstallLinkTtl"] = "00:00:01" };
}

/// <summary>A service started without any encryption key.</summary>
public sealed class NoEncryptionKeyApp : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>();
}

public sealed class ExpiredLinkTests(ShortLinkApp app) : IClassFixture<ShortLinkApp>
{
    [Fact]
    public async Task An_expired_link_is_refused_on_view_and_submit_and_nothing_is_written()
    {
        var account = await app.CreateAccountAsync();
        var path = InstallLinks.PathOf(await InstallLinks.CreateAsync(account, "stripe"));
        var browser = app.CreateClient();
        var nonce = InstallLinks.Nonce(await browser.GetStringAsync(path));
        await Task.Delay(TimeSpan.FromSeconds(1.2));

        var page = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Contains("This link has expired", await page.Content.ReadAsStringAsync());
        var submit = await InstallLinks.SubmitAsync(browser, path, nonce, ("secrets.api_key", "sk_test_abcdefghijklmnopqrstuvwxyz"));
        Assert.Equal(HttpStatusCode.Gone, submit.StatusCode);

        Assert.Equal(0, await app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId)));
        Assert.Null(await app.WithDbAsync(db => db.Set<InstallLink>().Where(l => l.AccountId == account.AccountId).Select(l => l.UsedAt).SingleAsync()));
    }
}

public sealed class ConnectWithoutEncryptionTests(NoEncryptionKeyApp app) : IClassFixture<NoEncryptionKeyApp>
{
    [Fact]
    public async Task Without_an_encryption_key_the_page_answers_503_and_nothing_is_written()
    {
        var account = await app.CreateAccountAsync();
        // Handing out a link needs no key; storing the credential does.
        var path = InstallLinks.PathOf(await InstallLinks.CreateAsync(account, "stripe"));
        var browser = app.CreateClient();

        var page = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.Contains("Credentials cannot be stored right now", await page.Content.ReadAsStringAsync());

        // A form posted anyway (the nonce is the link's, read from the database here) is refused the same way.
        var nonce = await app.WithDbAsync(db => db.Set<InstallLink>().Where(l => l.AccountId == account.AccountId).Select(l => l.FormNonce).SingleAsync());
        var submit = await InstallLinks.SubmitAsync(browser, path, nonce, ("secrets.api_key", "sk_test_abcdefghijklmnopqrstuvwxyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, submit.StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId)));
        Assert.Null(await app.WithDbAsync(db => db.Set<InstallLink>().Where(l => l.AccountId == account.AccountId).Select(l => l.UsedAt).SingleAsync()));

        // A provider without secrets still installs.
        var noneLink = InstallLinks.PathOf(await InstallLinks.CreateAsync(account, "open_meteo"));
        var form = await browser.GetStringAsync(noneLink);
        Assert.Equal(HttpStatusCode.OK, (await InstallLinks.SubmitAsync(browser, noneLink, InstallLinks.Nonce(form))).StatusCode);
    }
}
