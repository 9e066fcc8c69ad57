using Microsoft.Playwright;
using Switchboard.Tests.Dashboard;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Connect;

/// <summary>
/// Switchboard on a real socket, the real authorization server (oidc-provider) registered with THAT Switchboard's
/// callback, and one headless Chromium. Application pages (the opener of the popup) are served by Playwright's
/// request routing at https://app.example (allowed) and https://evil.example (not allowed), so their origins are real
/// browser origins without any DNS.
/// </summary>
public sealed class ConnectBrowserFixture : IAsyncLifetime
{
    public const string AppOrigin = "https://app.example";
    public const string EvilOrigin = "https://evil.example";
    public KestrelSwitchboardApp App { get; } = new();
    public OAuthServer Idp { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)App).InitializeAsync();
        Idp = new OAuthServer { RedirectUri = App.BaseUrl + "/api/v1/oauth/callback" };
        await Idp.InitializeAsync();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            // The application pages are public https origins and Switchboard listens on loopback: Chromium's local-network
            // access checks would ask the (absent) user for permission before the page may load /connect.js from it.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights"],
        });
    }

    /// <summary>A fresh browser context whose https://app.example and https://evil.example serve <see cref="OpenerPage"/>.</summary>
    public async Task<IBrowserContext> ContextAsync(string token)
    {
        var context = await Browser.NewContextAsync();
        foreach (var origin in new[] { AppOrigin, EvilOrigin })
            await context.RouteAsync(origin + "/**", route => route.FulfillAsync(new() { Status = 200, ContentType = "text/html", Body = OpenerPage(token) }));
        return context;
    }

    /// <summary>The ten-line page of the README: a button that opens the connect popup through /connect.js; it records every message it receives.</summary>
    public string OpenerPage(string token) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Example app</title></head>
        <body>
        <button id="connect">Connect your tools</button>
        <pre id="result"></pre>
        <script src="{{App.BaseUrl}}/connect.js"></script>
        <script>
          window.received = [];
          window.addEventListener("message", function (e) { window.received.push({ origin: e.origin, data: e.data }); });
          document.getElementById("connect").addEventListener("click", function () {
            SwitchboardConnect.open("{{token}}").then(function (r) { window.connectResult = r; document.getElementById("result").textContent = JSON.stringify(r); });
          });
        </script>
        </body></html>
        """;

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Idp.DisposeAsync();
        await ((IAsyncLifetime)App).DisposeAsync();
    }
}
