using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using static Microsoft.Playwright.Assertions;
using static Switchboard.Tests.Connect.ConnectBrowserFixture;
using static Switchboard.Tests.Connect.ConnectSessions;

namespace Switchboard.Tests.Connect;

/// <summary>
/// The connect page in Debian's Chromium: opened in a popup by /connect.js from an application page, against the real
/// authorization server for OAuth. Screenshots go to /tmp/switchboard-connect-*.png.
/// </summary>
public sealed class ConnectBrowserTests(ConnectBrowserFixture f) : IClassFixture<ConnectBrowserFixture>
{
    private const int Wait = 60_000;

    private static async Task<JsonElement> ResultAsync(IPage opener)
    {
        await opener.WaitForFunctionAsync("() => window.connectResult !== undefined", null, new() { Timeout = Wait });
        return await opener.EvaluateAsync<JsonElement>("() => window.connectResult");
    }

    private static async Task<(IPage Opener, IPage Popup)> OpenPopupAsync(IBrowserContext context, string origin)
    {
        var opener = await context.NewPageAsync();
        var console = new List<string>();
        opener.Console += (_, m) => console.Add(m.Text);
        opener.PageError += (_, e) => console.Add(e);
        await opener.GotoAsync(origin + "/");
        await opener.WaitForFunctionAsync("() => window.SwitchboardConnect !== undefined", null, new() { Timeout = Wait })
            .ContinueWith(t => t.IsCompletedSuccessfully ? t : throw new InvalidOperationException("connect.js did not load: " + string.Join(" | ", console)));
        var popup = await opener.RunAndWaitForPopupAsync(() => opener.ClickAsync("#connect"), new() { Timeout = Wait });
        await popup.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        return (opener, popup);
    }

    private async Task<string> UserStatusAsync(TestAccount account, string provider, string user)
    {
        var integration = await (await account.Client().GetAsync($"/api/v1/integrations/{provider}")).ShouldBe(HttpStatusCode.OK);
        var response = await account.Client().GetAsync($"/api/v1/integrations/{integration["id"]}/users/{user}");
        if (response.StatusCode == HttpStatusCode.NotFound) return "none";
        return (await response.ShouldBe(HttpStatusCode.OK))["status"]!.GetValue<string>();
    }

    [Fact]
    public async Task The_oauth_popup_consents_at_the_real_provider_and_the_opener_on_an_allowed_origin_receives_the_result()
    {
        var account = await f.App.CreateAccountAsync();
        await OAuthDriver.InstallLocalProviderAsync(account, f.Idp, name: "popup_idp");
        // Not configured (no OAuth app yet): listed as not ready, never asking the end user for a client secret.
        await (await account.Client().PostJson("/api/v1/providers", OAuthDriver.LocalProvider(f.Idp, "unready_idp"))).ShouldBe(HttpStatusCode.Created);
        await f.App.WriteDbAsync(async db =>
        {
            var now = DateTime.UtcNow;
            db.Integrations.Add(new Integration
            {
                Id = Guid.NewGuid(), AccountId = account.AccountId, ProjectId = account.ProjectId, Provider = "unready_idp",
                Status = IntegrationStatus.Active, InstalledAt = now, CreatedAt = now, UpdatedAt = now,
            });
            return await db.SaveChangesAsync();
        });
        var (token, _, _) = await CreateAsync(account, new { end_user = new { id = "u_oauth", display_name = "Ada Lovelace" }, allowed_origins = new[] { AppOrigin } });
        await using var context = await f.ContextAsync(token);
        var (opener, popup) = await OpenPopupAsync(context, AppOrigin);

        await Expect(popup.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Connect an integration", new() { Timeout = Wait });
        await Expect(popup.GetByText("Not ready yet")).ToBeVisibleAsync();
        Assert.DoesNotContain("client_secret", await popup.ContentAsync());
        Assert.DoesNotContain("Client secret", await popup.InnerTextAsync("body"));
        await popup.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-list.png", FullPage = true });

        await popup.GetByRole(AriaRole.Button, new() { Name = "Connect Local IdP" }).First.ClickAsync();
        await popup.Locator("input[name=login]").FillAsync("end-user-1", new() { Timeout = Wait });
        await popup.Locator("input[name=password]").FillAsync("any");
        await popup.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-provider-login.png", FullPage = true });
        await popup.Locator("button[type=submit]").ClickAsync();
        await popup.Locator("button[type=submit]").ClickAsync(new() { Timeout = Wait }); // consent: "Continue"

        var result = await ResultAsync(opener);
        Assert.Equal("switchboard.connect", result.GetProperty("type").GetString());
        Assert.Equal("success", result.GetProperty("status").GetString());
        Assert.Equal("popup_idp", result.GetProperty("integration").GetString());
        Assert.Equal("u_oauth", result.GetProperty("end_user_id").GetString());
        var received = await opener.EvaluateAsync<JsonElement>("() => window.received.filter(m => m.data && m.data.type === 'switchboard.connect')");
        Assert.Equal(f.App.BaseUrl, Assert.Single(received.EnumerateArray()).GetProperty("origin").GetString());
        await opener.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-opener-result.png", FullPage = true });
        // The page closes itself right after posting; the message can reach the opener a moment before the close.
        var closed = new TaskCompletionSource();
        popup.Close += (_, _) => closed.TrySetResult();
        if (!popup.IsClosed) await closed.Task.WaitAsync(TimeSpan.FromMilliseconds(Wait));
        Assert.True(popup.IsClosed);

        Assert.Equal("active", await UserStatusAsync(account, "popup_idp", "u_oauth"));
        Assert.NotNull(await f.App.WithDbAsync(db => db.Set<ConnectSession>().AsNoTracking().Where(s => s.AccountId == account.AccountId)
            .Select(s => s.CompletedAt).SingleAsync()));
    }

    [Fact]
    public async Task An_api_key_connection_in_the_popup_resolves_the_promise_on_an_allowed_origin()
    {
        var account = await f.App.CreateAccountAsync();
        await InstallStripeAsync(account);
        var (token, _, _) = await CreateAsync(account, new { end_user = new { id = "u_key" }, integrations = new[] { "stripe" }, allowed_origins = new[] { AppOrigin } });
        await using var context = await f.ContextAsync(token);
        var (opener, popup) = await OpenPopupAsync(context, AppOrigin);

        await popup.GetByRole(AriaRole.Link, new() { Name = "Connect Stripe" }).ClickAsync(new() { Timeout = Wait });
        await popup.GetByLabel("API key").FillAsync(StripeKey, new() { Timeout = Wait });
        await popup.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-key-form.png", FullPage = true });
        await popup.GetByRole(AriaRole.Button, new() { Name = "Connect Stripe" }).ClickAsync();

        var result = await ResultAsync(opener);
        Assert.Equal("success", result.GetProperty("status").GetString());
        Assert.Equal("stripe", result.GetProperty("integration").GetString());
        Assert.Equal("u_key", result.GetProperty("end_user_id").GetString());
        Assert.False(result.TryGetProperty("error", out _));
        Assert.Equal("active", await UserStatusAsync(account, "stripe", "u_key"));
        Assert.DoesNotContain(StripeKey, f.App.Logs.All);
    }

    [Fact]
    public async Task The_result_is_not_delivered_to_an_opener_on_an_origin_the_session_does_not_allow()
    {
        var account = await f.App.CreateAccountAsync();
        await InstallStripeAsync(account);
        var (token, _, _) = await CreateAsync(account, new { end_user = new { id = "u_evil" }, allowed_origins = new[] { AppOrigin } });
        await using var context = await f.ContextAsync(token);
        var (opener, popup) = await OpenPopupAsync(context, EvilOrigin);
        await popup.GetByRole(AriaRole.Link, new() { Name = "Connect Stripe" }).ClickAsync(new() { Timeout = Wait });
        await popup.GetByLabel("API key").FillAsync(StripeKey, new() { Timeout = Wait });
        await popup.GetByRole(AriaRole.Button, new() { Name = "Connect Stripe" }).ClickAsync();

        // The connection is made (so the page did post its result), but the browser refused to hand it to evil.example.
        var result = await ResultAsync(opener);
        Assert.Equal("error", result.GetProperty("status").GetString());
        Assert.Equal("popup_closed", result.GetProperty("error").GetString());
        Assert.Equal(0, await opener.EvaluateAsync<int>("() => window.received.filter(m => m.data && m.data.type === 'switchboard.connect').length"));
        Assert.Equal("active", await UserStatusAsync(account, "stripe", "u_evil"));
    }

    [Fact]
    public async Task An_expired_session_resolves_with_session_expired()
    {
        var account = await f.App.CreateAccountAsync();
        await InstallStripeAsync(account);
        var (token, _, _) = await CreateAsync(account, new { end_user = new { id = "u_late" }, allowed_origins = new[] { AppOrigin } });
        await f.App.WriteDbAsync(db => db.Set<ConnectSession>().Where(s => s.AccountId == account.AccountId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, DateTime.UtcNow.AddSeconds(-1))));
        await using var context = await f.ContextAsync(token);
        var (opener, _) = await OpenPopupAsync(context, AppOrigin);

        var result = await ResultAsync(opener);
        Assert.Equal("error", result.GetProperty("status").GetString());
        Assert.Equal("session_expired", result.GetProperty("error").GetString());
        Assert.Equal("u_late", result.GetProperty("end_user_id").GetString());

        // Without an opener the page says so itself.
        var page = await context.NewPageAsync();
        var opened = await page.GotoAsync(f.App.BaseUrl + "/connect/s/" + token);
        Assert.Equal(410, opened!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("The connection was not completed");
        await Expect(page.GetByText("This connect link has expired.")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-expired.png", FullPage = true });
    }

    [Fact]
    public async Task An_abandoned_consent_leaves_nothing_active_and_the_session_usable()
    {
        var account = await f.App.CreateAccountAsync();
        await OAuthDriver.InstallLocalProviderAsync(account, f.Idp, name: "abandon_idp");
        var (token, _, _) = await CreateAsync(account, new { end_user = new { id = "u_gone" }, allowed_origins = new[] { AppOrigin } });
        await using var context = await f.ContextAsync(token);
        var (opener, popup) = await OpenPopupAsync(context, AppOrigin);

        await popup.GetByRole(AriaRole.Button, new() { Name = "Connect Local IdP" }).ClickAsync(new() { Timeout = Wait });
        await popup.Locator("input[name=login]").WaitForAsync(new() { Timeout = Wait });
        await popup.CloseAsync();

        var result = await ResultAsync(opener);
        Assert.Equal("error", result.GetProperty("status").GetString());
        Assert.Equal("popup_closed", result.GetProperty("error").GetString());
        Assert.Equal("pending", await UserStatusAsync(account, "abandon_idp", "u_gone"));
        Assert.Null(await f.App.WithDbAsync(db => db.Set<ConnectSession>().AsNoTracking().Where(s => s.AccountId == account.AccountId)
            .Select(s => s.CompletedAt).SingleAsync()));

        // Cancelling at the provider instead ends as an error the application receives; still nothing active.
        var (opener2, popup2) = await OpenPopupAsync(context, AppOrigin);
        await popup2.GetByRole(AriaRole.Button, new() { Name = "Connect Local IdP" }).ClickAsync(new() { Timeout = Wait });
        await popup2.Locator("a[href$='/abort']").ClickAsync(new() { Timeout = Wait });
        var cancelled = await ResultAsync(opener2);
        Assert.Equal("error", cancelled.GetProperty("status").GetString());
        Assert.Equal("access_denied", cancelled.GetProperty("error").GetString());
        Assert.NotEqual("active", await UserStatusAsync(account, "abandon_idp", "u_gone"));
    }

    [Fact]
    public async Task The_page_works_by_keyboard_alone_with_labelled_fields_and_errors_by_label()
    {
        var account = await f.App.CreateAccountAsync();
        await InstallStripeAsync(account);
        var (_, url, _) = await CreateAsync(account, new { end_user = new { id = "u_kbd" } });
        await using var context = await f.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(url.Replace("http://127.0.0.1:5080", f.App.BaseUrl));

        async Task TabToAsync(string script)
        {
            for (var i = 0; i < 15; i++)
            {
                await page.Keyboard.PressAsync("Tab");
                if (await page.EvaluateAsync<bool>(script)) return;
            }
            throw new InvalidOperationException("Tab never reached: " + script);
        }

        await TabToAsync("() => document.activeElement.textContent.trim() === 'Connect Stripe'");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Connect Stripe", new() { Timeout = Wait });

        // Every field has a label; nothing technical is shown.
        await Expect(page.GetByLabel("API key")).ToHaveAttributeAsync("type", "password");
        await Expect(page.GetByLabel("API version")).ToBeVisibleAsync();
        var text = await page.InnerTextAsync("body");
        Assert.DoesNotContain("regular expression", text);
        Assert.DoesNotContain("secrets.", text);
        Assert.DoesNotContain(account.ProjectId, text);

        await TabToAsync("() => document.activeElement.tagName === 'BUTTON'");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Enter your API key.", new() { Timeout = Wait });
        var field = page.GetByLabel("API key");
        await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Contains("f-secrets-api_key-error", await field.GetAttributeAsync("aria-describedby"));
        await page.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-key-error.png", FullPage = true });

        await TabToAsync("() => document.activeElement.id === 'f-secrets-api_key'");
        await page.Keyboard.TypeAsync(StripeKey);
        await TabToAsync("() => document.activeElement.tagName === 'BUTTON'");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Stripe is connected", new() { Timeout = Wait });
        await page.ScreenshotAsync(new() { Path = "/tmp/switchboard-connect-key-done.png", FullPage = true });
        Assert.Equal("active", await UserStatusAsync(account, "stripe", "u_kbd"));
    }
}
