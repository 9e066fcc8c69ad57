using System.Net;
using Microsoft.Playwright;
using Switchboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.Tests.Dashboard;

/// <summary>The hosted install page driven by headless Chromium over a real socket.</summary>
public sealed class ConnectPageBrowserTests(KestrelSwitchboardApp app) : IClassFixture<KestrelSwitchboardApp>
{
    private const string StripeKey = "sk_test_BrowserTypedSecret0123456789";

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_CHROMIUM") ?? "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });

    /// <summary>
    /// Clicks the submit button and returns the POST's response. The page it answers with has the same URL, so callers
    /// wait for something only the new page has (a web-first assertion) rather than for a load state.
    /// </summary>
    private static Task<IResponse> SubmitAsync(IPage page, string url) =>
        page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Connect Stripe" }).ClickAsync(),
            r => r.Url == url && r.Request.Method == "POST", new() { Timeout = 60_000 });

    [Fact]
    public async Task A_user_fills_the_form_by_label_installs_once_and_the_link_is_then_refused()
    {
        Assert.Contains(app.BaseUrl, app.ListeningAddresses);
        var account = await app.CreateAccountAsync();
        var url = await InstallLinks.CreateAsync(account, "stripe");
        Assert.StartsWith(app.BaseUrl + "/connect/", url);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        var cspViolations = new List<string>();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy")) cspViolations.Add(m.Text); };

        var opened = await page.GotoAsync(url);
        Assert.Equal(200, opened!.Status);
        Assert.Equal("Connect Stripe", await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).InnerTextAsync());

        // A wrong value comes back as an error tied to its field; the typed secret is not echoed.
        await page.GetByLabel("API key").FillAsync("not-a-stripe-key-typed-in-browser");
        var rejected = await SubmitAsync(page, url);
        Assert.Equal(400, rejected!.Status);
        await Expect(page.Locator("#f-secrets-api_key-error")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var apiKey = page.GetByLabel("API key");
        Assert.Equal("true", await apiKey.GetAttributeAsync("aria-invalid"));
        Assert.Equal("", await apiKey.InputValueAsync());
        Assert.Contains("api_key does not have the expected format.", await page.Locator("#f-secrets-api_key-error").InnerTextAsync());
        Assert.DoesNotContain("not-a-stripe-key-typed-in-browser", await page.ContentAsync());
        await page.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-error.png", FullPage = true });

        await apiKey.FillAsync(StripeKey);
        await page.GetByLabel("API version").FillAsync("2024-06-20");
        await page.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-form.png", FullPage = true });
        var done = await SubmitAsync(page, url);
        Assert.Equal(200, done!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Stripe is connected", new() { Timeout = 60_000 });
        Assert.DoesNotContain(StripeKey, await page.ContentAsync());
        Assert.DoesNotContain(StripeKey, await done.TextAsync());
        await page.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-done.png", FullPage = true });

        var view = await (await account.Client().GetAsync("/api/v1/integrations/stripe")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", view["status"]!.GetValue<string>());
        Assert.Equal("2024-06-20", view["params"]!["api_version"]!.GetValue<string>());
        Assert.Equal("api_key", Assert.Single(view["secrets"]!.AsArray())!["name"]!.GetValue<string>());

        var again = await page.GotoAsync(url);
        Assert.Equal(410, again!.Status);
        Assert.Equal("This link has already been used", await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).InnerTextAsync());
        Assert.Empty(cspViolations);
        Assert.DoesNotContain(StripeKey, app.Logs.All);
    }
}
