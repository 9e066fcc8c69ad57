using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Outbound;

/// <summary>Where a tenant declares a destination, an internal address literal is refused with a 400 naming the field.</summary>
public sealed class DeclaredDestinationTests(GuardedApp app) : IClassFixture<GuardedApp>
{
    public static TheoryData<string> BlockedLiterals =>
    [
        "https://127.0.0.1/token", "https://127.0.0.1:8443/token", "https://localhost/token", "https://foo.localhost/token",
        "https://[::1]/token", "https://[::ffff:127.0.0.1]/token", "https://[::127.0.0.1]/token", "https://10.1.2.3/token",
        "https://2130706433/token", "https://0x7f000001/token", "https://0177.0.0.1/token", "https://127.1/token", "https://127.0.0.1./token",
        "https://0.0.0.0/token", "https://169.254.169.254/latest/token", "https://metadata.google.internal/token", "https://100.64.0.1/token",
        "https://192.168.0.10/token", "https://[fd00::1]/token", "https://[fe80::1]/token",
        "http://internal.example.com/token", "http://127.0.0.1:8080/token", "https://user:pw@api.example.com/token",
    ];

    [Theory]
    [InlineData("default", "host", "127.0.0.1:8443")]
    [InlineData("enum", "host", "169.254.169.254")]
    [InlineData("enum", "region_host", "metadata.google.internal")]
    public async Task A_host_param_default_or_enum_naming_an_internal_address_is_refused(string where, string name, string value)
    {
        var account = await app.CreateAccountAsync();
        var definition = OutboundFixtures.OAuthProvider("param_host_idp", $"https://{{params.{name}}}/token");
        var host = new Dictionary<string, object?> { ["name"] = name, ["type"] = "string", ["required"] = false, ["description"] = "Server." };
        if (name == "host") host["format"] = "host";
        if (where == "default") host["default"] = value;
        else host["enum"] = new[] { "login.example.com", value };
        definition["params"] = new object[] { OutboundFixtures.Field("client_id"), host };
        var refused = await (await account.Client().PostJson("/api/v1/providers", definition)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var error = Assert.Single(refused["errors"]!.AsArray())!;
        Assert.Equal(where == "default" ? "params[1].default" : "params[1].enum[1]", error["field"]!.GetValue<string>());
        Assert.Equal("blocked_address", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Plain_http_to_a_host_filled_from_a_param_is_refused_while_no_network_is_open()
    {
        var account = await app.CreateAccountAsync();
        var definition = OutboundFixtures.OAuthProvider("param_host_idp", "http://{params.host}/token");
        definition["params"] = new object[]
        {
            new { name = "client_id", type = "string", required = true, description = "Client id." },
            new { name = "host", type = "string", required = true, format = "host", description = "host[:port] of the server." },
        };
        var refused = await (await account.Client().PostJson("/api/v1/providers", definition)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var error = Assert.Single(refused["errors"]!.AsArray())!;
        Assert.Equal("oauth.token_url", error["field"]!.GetValue<string>());
        Assert.Equal("insecure_url", error["code"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(BlockedLiterals))]
    public async Task A_custom_provider_pointing_at_an_internal_address_is_refused_naming_the_field(string url)
    {
        var account = await app.CreateAccountAsync();
        foreach (var field in new[] { "oauth.token_url", "oauth.revoke_url", "oauth.authorize_url", "api_base_url" })
        {
            var definition = OutboundFixtures.OAuthProvider("internal_api", "https://token.example.com/token", "https://token.example.com/revoke");
            var oauth = (Dictionary<string, object?>)definition["oauth"]!;
            if (field == "api_base_url") definition["api_base_url"] = url.Replace("/token", "");
            else oauth[field["oauth.".Length..]] = url;
            var refused = await (await account.Client().PostJson("/api/v1/providers", definition)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
            var error = Assert.Single(refused["errors"]!.AsArray())!;
            Assert.Equal(field, error["field"]!.GetValue<string>());
            Assert.Contains(error["code"]!.GetValue<string>(), new[] { "blocked_address", "insecure_url", "invalid_url" });
        }
        // Nor can an existing provider be changed to point there.
        await (await account.Client().PostJson("/api/v1/providers", OutboundFixtures.OAuthProvider("internal_api", "https://token.example.com/token")))
            .ShouldBe(HttpStatusCode.Created);
        var update = OutboundFixtures.OAuthProvider("internal_api", url);
        var put = await account.Client().PutAsync("/api/v1/providers/internal_api", Api.Json(update));
        await put.ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var stored = await app.WithDbAsync(db => db.Set<CustomProvider>().Where(p => p.AccountId == account.AccountId).Select(p => p.DefinitionJson).ToListAsync());
        Assert.DoesNotContain(url, Assert.Single(stored));
    }

    [Fact]
    public async Task Public_names_are_accepted_and_a_host_param_must_be_declared_as_a_host()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostJson("/api/v1/providers",
            OutboundFixtures.OAuthProvider("public_api", "https://login.example.com:8443/oauth/token"))).ShouldBe(HttpStatusCode.Created);

        var undeclared = OutboundFixtures.OAuthProvider("templated", "https://{params.host}/oauth/token");
        definitionParams(undeclared, new { name = "host", type = "string", required = true, description = "host" });
        var refused = await (await account.Client().PostJson("/api/v1/providers", undeclared)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("format", refused["errors"]!.ToJsonString());

        var declared = OutboundFixtures.OAuthProvider("templated", "https://{params.host}/oauth/token");
        definitionParams(declared, new { name = "host", type = "string", format = "host", required = true, description = "host" });
        await (await account.Client().PostJson("/api/v1/providers", declared)).ShouldBe(HttpStatusCode.Created);
        var bad = await (await account.Client().PostJson("/api/v1/integrations/templated/install",
            new { @params = new { client_id = "x", host = "169.254.169.254" }, secrets = new { client_secret = "y" } })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("params.host", bad["errors"]![0]!["field"]!.GetValue<string>());

        static void definitionParams(Dictionary<string, object?> d, object extra) =>
            d["params"] = new[] { OutboundFixtures.Field("client_id"), extra };
    }

    [Theory]
    [InlineData("gitlab", "host", "169.254.169.254")] [InlineData("gitlab", "host", "localhost")] [InlineData("gitlab", "host", "127.0.0.1:8443")]
    [InlineData("gitlab", "host", "2130706433")] [InlineData("gitlab", "host", "0x7f000001")] [InlineData("gitlab", "host", "10.1.2.3")]
    [InlineData("gitlab", "host", "metadata.google.internal")] [InlineData("gitlab", "host", "gitlab.localhost")] [InlineData("gitlab", "host", "[::1]")]
    [InlineData("gitlab", "host", "gitlab.example.com:99999")] [InlineData("gitlab", "host", "gitlab.example.com/evil")]
    [InlineData("okta", "domain", "localhost")] [InlineData("okta", "domain", "169.254.169.254")] [InlineData("sentry", "host", "127.0.0.1")]
    public async Task An_install_whose_host_param_is_internal_is_refused_naming_the_field(string provider, string param, string value)
    {
        var account = await app.CreateAccountAsync();
        var body = new JsonObject
        {
            ["params"] = new JsonObject { [param] = value },
            ["secrets"] = provider == "gitlab" ? new JsonObject { ["client_secret"] = "s" } : new JsonObject(),
        };
        if (provider == "gitlab") body["params"]!["client_id"] = "app";
        var refused = await (await account.Client().PostAsync($"/api/v1/integrations/{provider}/install", Api.Json(body.ToJsonString())))
            .ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains(refused["errors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == $"params.{param}");
        var installed = await app.WithDbAsync(db => db.Integrations.CountAsync(i => i.AccountId == account.AccountId));
        Assert.Equal(0, installed);
    }

    [Fact]
    public async Task A_public_self_managed_host_with_a_port_is_accepted()
    {
        var account = await app.CreateAccountAsync();
        await (await account.Client().PostJson("/api/v1/integrations/gitlab/install",
            new { @params = new { client_id = "app", host = "gitlab.example.com:8443" }, secrets = new { client_secret = "s" } })).ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("https://169.254.169.254", "blocked_address")] [InlineData("https://localhost:9000", "blocked_address")]
    [InlineData("https://[::ffff:10.0.0.1]", "blocked_address")] [InlineData("http://api.example.com", "insecure_url")]
    [InlineData("http://127.0.0.1:9", "insecure_url")]
    public async Task A_base_url_override_at_an_internal_address_is_refused(string url, string code)
    {
        var account = await app.CreateAccountAsync();
        var refused = await (await account.Client().PostJson("/api/v1/integrations/stripe/install",
            new { secrets = new { api_key = "sk_test_abcdefghijklmnop" }, base_url_override = url })).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var error = Assert.Single(refused["errors"]!.AsArray())!;
        Assert.Equal("base_url_override", error["field"]!.GetValue<string>());
        Assert.Equal(code, error["code"]!.GetValue<string>());
    }
}
