using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Dashboard;

public sealed class ConnectPageTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private const string AwsKeyId = "AKIAIOSFODNN7EXAMPLE";
    private const string AwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    private static (string Name, string Value)[] ValidAws(string secret = AwsSecret) =>
    [
        ("params.role_arn", "arn:aws:iam::123456789012:role/switchboard"),
        ("params.region", "eu-west-1"),
        ("params.duration_seconds", "1800"),
        ("secrets.access_key_id", AwsKeyId),
        ("secrets.secret_access_key", secret),
    ];

    private async Task<(TestAccount Account, string Path, string Html, HttpClient Browser)> OpenAsync(string provider)
    {
        var account = await app.CreateAccountAsync();
        var path = InstallLinks.PathOf(await InstallLinks.CreateAsync(account, provider));
        var browser = app.CreateClient();
        var page = await browser.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        return (account, path, html, browser);
    }

    private Task<int> IntegrationRows(TestAccount account) =>
        app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId));

    [Fact]
    public async Task The_form_is_built_from_the_providers_schema_with_accessible_markup_and_strict_headers()
    {
        var account = await app.CreateAccountAsync();
        var path = InstallLinks.PathOf(await InstallLinks.CreateAsync(account, "aws"));
        var page = await app.CreateClient().GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("form-action 'self'", csp);
        Assert.DoesNotContain("script-src", csp);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("no-store", page.Headers.CacheControl!.ToString());

        Assert.Contains("<html lang=\"en\">", html);
        Assert.Contains("<main>", html);
        Assert.Contains("<h1>Connect Amazon Web Services</h1>", html);
        Assert.Contains("<legend>Settings</legend>", html);
        Assert.Contains("<legend>Credentials</legend>", html);
        Assert.DoesNotContain("<script", html);
        // Every param and secret has a labelled control; secrets are password inputs without autocomplete.
        Assert.Contains("<label for=\"f-params-role_arn\">Role ARN <span class=\"req\">(required)</span></label>", html);
        Assert.Contains("<input id=\"f-params-role_arn\" name=\"params.role_arn\" aria-describedby=\"f-params-role_arn-hint\" required type=\"text\"", html);
        Assert.Contains("ARN of the IAM role to assume.", html);
        Assert.Contains("Expected format (regular expression): <code>", html);
        Assert.Contains("<input id=\"f-params-duration_seconds\" name=\"params.duration_seconds\" aria-describedby=\"f-params-duration_seconds-hint\" type=\"number\" step=\"1\" inputmode=\"numeric\" value=\"3600\"", html);
        Assert.Contains("<label for=\"f-secrets-secret_access_key\">Secret access key <span class=\"req\">(required)</span></label>", html);
        Assert.Contains("<input id=\"f-secrets-secret_access_key\" name=\"secrets.secret_access_key\" aria-describedby=\"f-secrets-secret_access_key-hint\" required type=\"password\" autocomplete=\"off\"", html);
        Assert.Contains("<label for=\"f-secrets-session_token\">Session token</label>", html);
        Assert.DoesNotContain(account.ApiKey, html);
        Assert.Equal(0, await IntegrationRows(account));
    }

    [Fact]
    public async Task Enum_params_are_selects_and_pem_secrets_are_text_areas()
    {
        var (_, _, datadog, _) = await OpenAsync("datadog");
        Assert.Contains("<select id=\"f-params-site\" name=\"params.site\"", datadog);
        Assert.Contains("<option value=\"datadoghq.eu\"", datadog);

        var (_, _, google, _) = await OpenAsync("google_service_account");
        Assert.Contains("<textarea id=\"f-secrets-private_key\" name=\"secrets.private_key\"", google);
        Assert.Contains("autocomplete=\"off\"", google);
    }

    [Fact]
    public async Task A_valid_form_installs_the_integration_encrypts_secrets_and_uses_up_the_link()
    {
        var (account, path, html, browser) = await OpenAsync("aws");
        var response = await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(html), ValidAws());
        var done = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, done);
        Assert.Contains("Amazon Web Services is connected", done);
        Assert.DoesNotContain(AwsSecret, done);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());

        var view = await (await account.Client().GetAsync("/api/v1/integrations/aws")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", view["status"]!.GetValue<string>());
        Assert.Equal(1800, view["params"]!["duration_seconds"]!.GetValue<int>());
        Assert.Equal("eu-west-1", view["params"]!["region"]!.GetValue<string>());
        Assert.Equal(["access_key_id", "secret_access_key"], view["secrets"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));

        var row = await app.WithDbAsync(db => db.Integrations.Include(i => i.Secrets).SingleAsync(i => i.AccountId == account.AccountId));
        Assert.Equal(IntegrationStatus.Active, row.Status);
        var stored = row.Secrets.Single(s => s.Name == "secret_access_key");
        Assert.DoesNotContain(AwsSecret, System.Text.Encoding.UTF8.GetString(stored.Ciphertext));
        var box = (SecretBox)app.Services.GetService(typeof(SecretBox))!;
        Assert.Equal(AwsSecret, box.DecryptString(stored.Ciphertext, new SecretContext(account.AccountId, "integration_secrets", row.Id.ToString(), "secret_access_key")));

        var link = await app.WithDbAsync(db => db.Set<InstallLink>().SingleAsync(l => l.AccountId == account.AccountId));
        Assert.NotNull(link.UsedAt);
        var actions = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId).Select(e => e.Action + " " + e.DataJson).ToListAsync());
        Assert.Contains(actions, a => a.StartsWith("integration.installed "));
        Assert.Contains(actions, a => a.StartsWith("integration.install_link.used ") && a.Contains(account.ApiKeyId));
        Assert.All(actions, a => Assert.DoesNotContain(AwsSecret, a));
        Assert.DoesNotContain(AwsSecret, app.Logs.All);
    }

    [Fact]
    public async Task Invalid_values_re_render_the_form_with_errors_next_to_fields_and_write_nothing()
    {
        var (account, path, html, browser) = await OpenAsync("aws");
        var response = await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(html),
            ("params.role_arn", "<script>alert(1)</script>"),
            ("params.duration_seconds", "an hour"),
            ("secrets.access_key_id", "not-a-key-id-secret-value"));
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<title>Error: Connect Amazon Web Services", page);
        Assert.Contains("There is a problem", page);
        Assert.Contains("role=\"alert\"", page);
        // Each error sits next to its field and is announced with it.
        Assert.Contains("<p class=\"error\" id=\"f-params-role_arn-error\">", page);
        Assert.Contains("aria-describedby=\"f-params-role_arn-hint f-params-role_arn-error\" aria-invalid=\"true\"", page);
        Assert.Contains("<p class=\"error\" id=\"f-params-duration_seconds-error\"><span class=\"sr\">Error: </span>duration_seconds must be an integer.</p>", page);
        Assert.Contains("access_key_id does not have the expected format.", page);
        Assert.Contains("<p class=\"error\" id=\"f-secrets-secret_access_key-error\"><span class=\"sr\">Error: </span>secret_access_key is required.</p>", page);
        Assert.Contains("<a href=\"#f-params-role_arn\">", page);
        // Params come back (encoded); secrets never do.
        Assert.Contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"", page);
        Assert.DoesNotContain("<script>", page);
        Assert.DoesNotContain("not-a-key-id-secret-value", page);

        Assert.Equal(0, await IntegrationRows(account));
        Assert.Null(await app.WithDbAsync(db => db.Set<InstallLink>().Where(l => l.AccountId == account.AccountId).Select(l => l.UsedAt).SingleAsync()));
        Assert.Equal(["integration.install_url.created"], await app.WithDbAsync(db =>
            db.AuditEvents.Where(e => e.AccountId == account.AccountId).Select(e => e.Action).ToListAsync()));

        // The link is still good: correcting the form installs.
        var retry = await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(page), ValidAws());
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1, await IntegrationRows(account));
    }

    [Fact]
    public async Task A_used_link_is_refused_and_a_second_submission_changes_nothing()
    {
        var (account, path, html, browser) = await OpenAsync("aws");
        var nonce = InstallLinks.Nonce(html);
        Assert.Equal(HttpStatusCode.OK, (await InstallLinks.SubmitAsync(browser, path, nonce, ValidAws())).StatusCode);
        var before = await app.WithDbAsync(db => db.IntegrationSecrets.Where(s => s.AccountId == account.AccountId).Select(s => s.Fingerprint).OrderBy(f => f).ToListAsync());

        var again = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Contains("already been used", await again.Content.ReadAsStringAsync());
        Assert.Equal("no-store", again.Headers.CacheControl!.ToString());

        var resubmit = await InstallLinks.SubmitAsync(browser, path, nonce, ValidAws("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        Assert.Equal(HttpStatusCode.Gone, resubmit.StatusCode);
        var after = await app.WithDbAsync(db => db.IntegrationSecrets.Where(s => s.AccountId == account.AccountId).Select(s => s.Fingerprint).OrderBy(f => f).ToListAsync());
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Concurrent_submissions_of_one_link_install_once()
    {
        var (account, path, html, _) = await OpenAsync("stripe");
        var nonce = InstallLinks.Nonce(html);
        var posts = Enumerable.Range(0, 4).Select(i => InstallLinks.SubmitAsync(app.CreateClient(), path, nonce,
            ("secrets.api_key", $"sk_test_{i}abcdefghijklmnopqrstuvwx"))).ToList();
        var statuses = (await Task.WhenAll(posts)).Select(r => r.StatusCode).ToList();
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.Gone));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.AccountId == account.AccountId && e.Action == "integration.installed")));
    }

    [Fact]
    public async Task Unknown_or_malformed_tokens_are_not_found()
    {
        var client = app.CreateClient();
        foreach (var token in new[] { new string('a', 43), "short", new string('a', 500) })
        {
            var page = await client.GetAsync($"/connect/{token}");
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.Contains("Link not found", await page.Content.ReadAsStringAsync());
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }
        var post = await InstallLinks.SubmitAsync(client, $"/connect/{new string('a', 43)}", "x", ("secrets.api_key", "sk_test_x"));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    [Fact]
    public async Task A_post_without_the_pages_nonce_or_from_another_site_is_refused_and_writes_nothing()
    {
        var (account, path, html, browser) = await OpenAsync("stripe");
        var secret = ("secrets.api_key", "sk_test_abcdefghijklmnopqrstuvwxyz");

        var noNonce = await browser.PostAsync(path, new FormUrlEncodedContent([new("secrets.api_key", "sk_test_abcdefghijklmnopqrstuvwxyz")]));
        Assert.Equal(HttpStatusCode.Forbidden, noNonce.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await InstallLinks.SubmitAsync(browser, path, "wrong", secret)).StatusCode);

        var crossSite = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent([new("_nonce", InstallLinks.Nonce(html)), new("secrets.api_key", "sk_test_abcdefghijklmnopqrstuvwxyz")]),
        };
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(crossSite)).StatusCode);

        var json = await browser.PostAsJsonAsync(path, new { _nonce = InstallLinks.Nonce(html) });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);

        Assert.Equal(0, await IntegrationRows(account));
        Assert.Null(await app.WithDbAsync(db => db.Set<InstallLink>().Where(l => l.AccountId == account.AccountId).Select(l => l.UsedAt).SingleAsync()));
    }

    [Fact]
    public async Task A_form_the_server_cannot_read_is_answered_400_and_writes_nothing()
    {
        var (account, path, html, browser) = await OpenAsync("stripe");
        // A form key beyond the framework's 2048-character limit cannot be read at all.
        var response = await browser.PostAsync(path, new StringContent($"_nonce={InstallLinks.Nonce(html)}&{new string('k', 3000)}=1",
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Form could not be read", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await IntegrationRows(account));
    }

    [Fact]
    public async Task A_link_dies_with_the_key_that_created_it()
    {
        var account = await app.CreateAccountAsync();
        var created = await (await account.Client().PostJson("/api/v1/api-keys", new { name = "temp", scopes = new[] { "integrations:write" } }))
            .ShouldBe(HttpStatusCode.Created);
        var temp = new TestAccount(app, account.AccountId, account.ProjectId, created["key"]!.GetValue<string>(), created["api_key"]!["id"]!.GetValue<string>());
        var path = InstallLinks.PathOf(await InstallLinks.CreateAsync(temp, "stripe"));
        await (await account.Client().DeleteAsync($"/api/v1/api-keys/{temp.ApiKeyId}")).ShouldBe(HttpStatusCode.OK);

        var page = await app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Contains("revoked", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_provider_without_credentials_installs_with_one_click()
    {
        var (account, path, html, browser) = await OpenAsync("hacker_news");
        Assert.Contains("needs no credentials", html);
        Assert.Equal(HttpStatusCode.OK, (await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(html))).StatusCode);
        var view = await (await account.Client().GetAsync("/api/v1/integrations/hacker_news")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", view["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_oauth_provider_not_yet_set_up_asks_for_the_oauth_app_and_then_goes_to_the_oauth_start()
    {
        var (account, path, html, _) = await OpenAsync("slack");
        // The start URL would send a browser on to slack.com: this client stops at the first redirect.
        var browser = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Contains("Save and continue to Slack", html);
        Assert.Contains("name=\"params.client_id\"", html);
        Assert.Matches("<input [^>]*name=\"secrets.client_secret\"[^>]*type=\"password\"", html);
        var page = await browser.GetAsync(path);
        // Browsers apply form-action to the redirects after the post: the provider's origin must be allowed.
        Assert.Contains("form-action 'self' https://slack.com;", page.Headers.GetValues("Content-Security-Policy").Single());

        var missing = await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(html), ("params.client_id", "123.456"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(0, await IntegrationRows(account));

        var response = await InstallLinks.SubmitAsync(browser, path, InstallLinks.Nonce(html),
            ("params.client_id", "123.456"), ("secrets.client_secret", "slack-app-secret-value"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("http://127.0.0.1:5080/api/v1/oauth/start/", response.Headers.Location!.ToString());
        var view = await (await account.Client().GetAsync("/api/v1/integrations/slack")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("installed", view["status"]!.GetValue<string>());
        Assert.DoesNotContain("slack-app-secret-value", app.Logs.All);
        var user = await (await account.Client().GetAsync($"/api/v1/integrations/{view["id"]}/users/default")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("pending", user["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(path)).StatusCode);
    }
}
