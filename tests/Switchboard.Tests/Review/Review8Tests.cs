using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Lifecycle;
using Switchboard.Tests.Outbound;

namespace Switchboard.Tests.Review;

/// <summary>
/// Regressions for holes the review of issue 8 found from outside (a Release build probed over HTTP, on SQLite and on
/// PostgreSQL): each of these answered 500 (or 503 on PostgreSQL), or let a redirect through, before its fix.
/// </summary>
public sealed class Review8Tests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private static ByteArrayContent RawJson(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static byte[] Bytes(string before, byte[] middle, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. middle, .. Encoding.UTF8.GetBytes(after)];

    public static TheoryData<string, string> NotUnicode => new()
    {
        // raw bytes that are not UTF-8: a stray byte, an overlong '/', an encoded surrogate
        { "ff", "raw" }, { "c0af", "raw" }, { "eda080", "raw" },
        // a JSON escape of a lone surrogate: valid JSON syntax, but no string
        { "\\ud800", "escape" }, { "\\udc00x", "escape" },
    };

    [Theory]
    [MemberData(nameof(NotUnicode))]
    public async Task A_json_string_that_is_not_unicode_is_malformed_json_on_every_body_and_nothing_is_written(string bad, string kind)
    {
        var account = await app.CreateAccountAsync();
        var c = account.Client();
        await c.InstallAsync("hacker_news");
        var middle = kind == "raw" ? Convert.FromHexString(bad) : Encoding.UTF8.GetBytes(bad);
        var requests = new (HttpMethod Method, string Url, byte[] Body)[]
        {
            (HttpMethod.Post, "/api/v1/projects", Bytes("{\"name\": \"p", middle, "\"}")),
            (HttpMethod.Post, "/api/v1/api-keys", Bytes("{\"name\": \"k", middle, "\", \"scopes\": [\"read\"]}")),
            (HttpMethod.Post, "/api/v1/integrations/stripe/install", Bytes("{\"secrets\": {\"api_key\": \"sk_test_abcdefgh", middle, "ijklmnop\"}}")),
            (HttpMethod.Patch, $"/api/v1/projects/{account.ProjectId}/integrations/hacker_news/lifecycle", Bytes("{\"display_name\": \"d", middle, "\"}")),
            (HttpMethod.Post, "/api/v1/providers", Bytes("{\"name\": \"x", middle, "\"}")),
            // a route without a body checks one the same way
            (HttpMethod.Post, "/api/v1/integrations/hacker_news/uninstall", Bytes("{\"a\": \"", middle, "\"}")),
        };
        foreach (var (method, url, body) in requests)
        {
            var response = await c.SendAsync(new HttpRequestMessage(method, url) { Content = RawJson(body) });
            var problem = await response.ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
            Assert.NotNull(problem["line"]);
            Assert.NotNull(problem["byte"]);
        }
        Assert.Equal(1, await app.WithDbAsync(db => db.Projects.CountAsync(p => p.AccountId == account.AccountId)));
        Assert.Equal(1, await app.WithDbAsync(db => db.ApiKeys.CountAsync(k => k.AccountId == account.AccountId)));
        var rows = await app.WithDbAsync(db => db.Integrations.Where(i => i.AccountId == account.AccountId)
            .Select(i => new { i.Provider, i.Status, i.DisplayName }).ToListAsync());
        var row = Assert.Single(rows);
        Assert.Equal(("hacker_news", "active", (string?)null), (row.Provider, row.Status, row.DisplayName));
    }

    [Fact]
    public async Task A_nul_in_an_api_key_name_or_an_audit_filter_is_a_400_not_a_database_error()
    {
        var account = await app.CreateAccountAsync();
        var c = account.Client();
        await (await c.PostAsync("/api/v1/api-keys", Api.Json("{\"name\": \"k\\u0000\", \"scopes\": [\"read\"]}")))
            .ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(1, await app.WithDbAsync(db => db.ApiKeys.CountAsync(k => k.AccountId == account.AccountId)));
        foreach (var filter in new[] { "actor", "provider", "action", "project_id" })
            await (await c.GetAsync($"/api/v1/audit-log?{filter}=a%00b")).ShouldBe(HttpStatusCode.BadRequest, "invalid_filter");
    }

    [Theory]
    [InlineData("{\"name\": 1180591620717411303424}")]
    [InlineData("{\"category\": 1180591620717411303424}")]
    [InlineData("{\"params\": [{\"name\": \"a\", \"type\": \"integer\", \"required\": false, \"description\": \"d\", \"default\": 99999999999999999999999}]}")]
    public async Task A_custom_provider_with_an_integer_beyond_64_bits_is_a_400(string json)
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostAsync("/api/v1/providers", Api.Json(json))).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task A_truncated_multipart_form_on_the_install_page_is_a_400_page()
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
        var response = await app.CreateClient().PostAsync("/connect/no-such-link", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Form could not be read", await response.Content.ReadAsStringAsync());
    }

    private async Task<(HttpClient Client, string Cid)> OAuthIntegrationAsync(object? allowedOrigins = null)
    {
        var account = await app.CreateAccountAsync();
        var c = account.Client();
        await (await c.PostJson("/api/v1/providers", OutboundFixtures.OAuthProvider("review_idp", "https://token.example.com/token")))
            .ShouldBe(HttpStatusCode.Created);
        var installed = await (await c.PostJson("/api/v1/integrations/review_idp/install", new
        {
            @params = new { client_id = "app" },
            secrets = new { client_secret = "s" },
            allowed_redirect_origins = allowedOrigins,
        })).ShouldBe(HttpStatusCode.OK);
        return (c, installed["id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("https://app.example.com/caf\u00e9")]
    [InlineData("https://\uff45\uff56\uff49\uff4c.example/")]
    [InlineData("https://evil\u3002example/done")]
    public async Task A_redirect_uri_with_a_non_ascii_character_is_refused(string redirectUri)
    {
        // Accepted, it could not be put in the Location header the flow ends with: the callback answered 500.
        var (c, cid) = await OAuthIntegrationAsync();
        await (await c.PostJson($"/api/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri }))
            .ShouldBe(HttpStatusCode.BadRequest, "invalid_redirect_uri");
    }

    [Fact]
    public async Task An_ipv6_origin_keeps_its_brackets_and_does_not_admit_another_address()
    {
        // Without brackets "https://[2001:db8::1]:8443" and "https://[2001:db8::1:8443]" both read "https://2001:db8::1:8443".
        var (c, cid) = await OAuthIntegrationAsync(new[] { "https://[2001:DB8::1]:8443" });
        var shown = await (await c.GetAsync("/api/v1/integrations/review_idp")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("https://[2001:db8::1]:8443", shown["allowed_redirect_origins"]![0]!.GetValue<string>());
        await (await c.PostJson($"/api/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri = "https://[2001:db8::1]:8443/cb" }))
            .ShouldBe(HttpStatusCode.Created);
        await (await c.PostJson($"/api/v1/integrations/{cid}/users/u1/auth-url", new { redirectUri = "https://[2001:db8::1:8443]/cb" }))
            .ShouldBe(HttpStatusCode.BadRequest, "redirect_uri_not_allowed");
    }

    [Theory]
    [InlineData("oauth.authorize_url", "https://b\u00fccher.example/authorize")]
    [InlineData("oauth.authorize_url", "https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/authorize")]
    [InlineData("oauth.token_url", "https://b\u00fccher.example/token")]
    // The URL parser reads ideographic and full-width dots as dots: these went to 10.1.2.3 and 169.254.169.254, refused
    // only at connect time. (Full-width letters are not mapped under InvariantGlobalization: such a name never resolves.)
    [InlineData("oauth.token_url", "https://10\u30021\u30022\u30023/token")]
    [InlineData("api_base_url", "https://169\uff0e254\uff0e169\uff0e254")]
    public async Task A_declared_url_that_is_not_ascii_is_refused_naming_the_field(string field, string url)
    {
        // A non-ASCII host could not be put in the Location header of the start leg: the start link answered 500.
        var account = await app.CreateAccountAsync();
        var definition = field switch
        {
            "oauth.token_url" => OutboundFixtures.OAuthProvider("unicode_idp", url),
            "api_base_url" => OutboundFixtures.OAuthProvider("unicode_idp", "https://token.example.com/token", apiBaseUrl: url),
            _ => OutboundFixtures.OAuthProvider("unicode_idp", "https://token.example.com/token", authorizeUrl: url),
        };
        var refused = await (await account.Client().PostJson("/api/v1/providers", definition)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var error = Assert.Single(refused["errors"]!.AsArray())!;
        Assert.Equal(field, error["field"]!.GetValue<string>());
        Assert.Equal("invalid_url", error["code"]!.GetValue<string>());
    }
}
