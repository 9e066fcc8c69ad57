using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

[Collection("oauth")]
public sealed class CustomProviderTests(OAuthServer idp, OAuthApp app) : IClassFixture<OAuthApp>
{
    private static JsonObject Definition(OAuthServer idp, string name) =>
        JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(OAuthDriver.LocalProvider(idp, name)))!.AsObject();

    [Fact]
    public async Task A_custom_provider_is_created_listed_updated_and_deleted_in_its_account_only()
    {
        var account = await app.CreateAccountAsync();
        var other = await app.CreateAccountAsync("other");
        var c = account.Client();

        var created = await (await c.PostJson("/api/v1/providers", Definition(idp, "internal_api"))).ShouldBe(HttpStatusCode.Created);
        Assert.Equal("internal_api", created["name"]!.GetValue<string>());
        Assert.True(created["custom"]!.GetValue<bool>());

        var list = await (await c.GetAsync("/api/v1/providers")).ShouldBe(HttpStatusCode.OK);
        Assert.Single(list["providers"]!.AsArray());
        await (await c.GetAsync("/api/v1/providers/internal_api")).ShouldBe(HttpStatusCode.OK);

        // In this account's Kataven catalog (list and get), and nowhere else.
        var kataven = await (await c.GetAsync("/api/v1/integrations?limit=200")).ShouldBe(HttpStatusCode.OK);
        Assert.Contains(kataven["integrations"]!.AsArray(), i => i!["name"]!.GetValue<string>() == "internal_api");
        await (await c.GetAsync("/api/v1/integrations/internal_api")).ShouldBe(HttpStatusCode.OK);
        var elsewhere = await (await other.Client().GetAsync("/api/v1/integrations?limit=200")).ShouldBe(HttpStatusCode.OK);
        Assert.DoesNotContain(elsewhere["integrations"]!.AsArray(), i => i!["name"]!.GetValue<string>() == "internal_api");
        await (await other.Client().GetAsync("/api/v1/integrations/internal_api")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        await (await other.Client().GetAsync("/api/v1/providers/internal_api")).ShouldBe(HttpStatusCode.NotFound, "provider_not_found");
        await (await other.Client().DeleteAsync("/api/v1/providers/internal_api")).ShouldBe(HttpStatusCode.NotFound, "provider_not_found");
        Assert.Empty((await (await other.Client().GetAsync("/api/v1/providers")).ReadJson())["providers"]!.AsArray());

        var changed = Definition(idp, "internal_api");
        changed["display_name"] = "Internal API v2";
        var updated = await (await c.PutAsync("/api/v1/providers/internal_api", global::Switchboard.Tests.Infrastructure.Api.Json(changed.ToJsonString()))).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("Internal API v2", updated["display_name"]!.GetValue<string>());
        var renamed = Definition(idp, "other_name");
        await (await c.PutAsync("/api/v1/providers/internal_api", global::Switchboard.Tests.Infrastructure.Api.Json(renamed.ToJsonString()))).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");

        // Installed: cannot be deleted until uninstalled rows are gone.
        await (await c.PostJson("/api/v1/integrations/internal_api/install", new { @params = new { client_id = "x" }, secrets = new { client_secret = "y" } }))
            .ShouldBe(HttpStatusCode.OK);
        await (await c.DeleteAsync("/api/v1/providers/internal_api")).ShouldBe(HttpStatusCode.Conflict, "provider_in_use");

        await (await c.PostJson("/api/v1/providers", Definition(idp, "disposable"))).ShouldBe(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NoContent, (await c.DeleteAsync("/api/v1/providers/disposable")).StatusCode);
        await (await c.GetAsync("/api/v1/providers/disposable")).ShouldBe(HttpStatusCode.NotFound, "provider_not_found");
        var actions = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.AccountId == account.AccountId).Select(e => e.Action).ToListAsync());
        Assert.Contains("provider.created", actions);
        Assert.Contains("provider.updated", actions);
        Assert.Contains("provider.deleted", actions);
    }

    [Fact]
    public async Task Definitions_are_validated_like_catalog_entries()
    {
        var account = await app.CreateAccountAsync();
        var c = account.Client();
        await (await c.PostJson("/api/v1/providers", Definition(idp, "github"))).ShouldBe(HttpStatusCode.Conflict, "provider_exists");
        await (await c.PostJson("/api/v1/providers", Definition(idp, "dupe"))).ShouldBe(HttpStatusCode.Created);
        await (await c.PostJson("/api/v1/providers", Definition(idp, "dupe"))).ShouldBe(HttpStatusCode.Conflict, "provider_exists");

        var noToken = Definition(idp, "no_token");
        noToken["oauth"]!.AsObject().Remove("token_url");
        await (await c.PostJson("/api/v1/providers", noToken)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");

        var plainHttp = Definition(idp, "plain_http");
        plainHttp["oauth"]!["token_url"] = "http://internal.example.com/token";
        await (await c.PostJson("/api/v1/providers", plainHttp)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");

        var badAuth = Definition(idp, "bad_auth");
        badAuth["auth_type"] = "MAGIC";
        await (await c.PostJson("/api/v1/providers", badAuth)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");

        var noClientId = Definition(idp, "no_client_id");
        noClientId["params"] = new JsonArray();
        await (await c.PostJson("/api/v1/providers", noClientId)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");

        var undeclared = Definition(idp, "undeclared");
        undeclared["oauth"]!["authorize_url"] = idp.Issuer + "/auth/{params.tenant}";
        await (await c.PostJson("/api/v1/providers", undeclared)).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");

        await (await c.PostAsync("/api/v1/providers", global::Switchboard.Tests.Infrastructure.Api.Json("[1,2"))).ShouldBe(HttpStatusCode.BadRequest, "malformed_json");
        await (await c.PostAsync("/api/v1/providers", global::Switchboard.Tests.Infrastructure.Api.Json("[]"))).ShouldBe(HttpStatusCode.BadRequest, "validation_failed");
        var stored = await app.WithDbAsync(db => db.Set<CustomProvider>().Where(p => p.AccountId == account.AccountId).Select(p => p.Name).ToListAsync());
        Assert.Equal(["dupe"], stored);
    }

    [Fact]
    public async Task The_toolregistry_list_shares_the_path_and_is_selected_by_the_active_parameter()
    {
        var account = await app.CreateAccountAsync();
        var cid = await OAuthDriver.InstallLocalProviderAsync(account, idp);
        var c = account.Client();

        var active = await (await c.GetAsync("/v1/integrations?active=true")).ShouldBe(HttpStatusCode.OK);
        var item = Assert.Single(active.AsArray())!;
        Assert.Equal("local_idp", item["integrationId"]!.GetValue<string>());
        Assert.Equal(cid, item["customerIntegrationId"]!.GetValue<string>());
        Assert.True(item["active"]!.GetValue<bool>());
        Assert.Equal("Local IdP", item["name"]!.GetValue<string>());
        Assert.Equal(new Uri(idp.Issuer).Authority, item["host"]!.GetValue<string>());
        Assert.Equal("OAUTH2", item["authType"]!.GetValue<string>());
        Assert.NotNull(item["createdAt"]);
        Assert.NotNull(item["updatedAt"]);
        Assert.Empty((await (await c.GetAsync("/api/v1/integrations?active=false")).ShouldBe(HttpStatusCode.OK)).AsArray());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/integrations");
        request.Headers.Accept.ParseAdd("application/vnd.toolregistry+json");
        using var byMediaType = await c.SendAsync(request);
        // Asked for by its media type, the array is answered as that type; `active` alone keeps application/json.
        Assert.Equal("application/vnd.toolregistry+json", byMediaType.Content.Headers.ContentType?.MediaType);
        Assert.Single((await byMediaType.ShouldBe(HttpStatusCode.OK)).AsArray());
        Assert.Equal("application/json", (await c.GetAsync("/api/v1/integrations?active=true")).Content.Headers.ContentType?.MediaType);

        await (await c.PostAsync("/api/v1/integrations/local_idp/uninstall", null)).ShouldBe(HttpStatusCode.OK);
        Assert.Empty((await (await c.GetAsync("/v1/integrations?active=true")).ReadJson()).AsArray());
        Assert.Single((await (await c.GetAsync("/v1/integrations?active=false")).ReadJson()).AsArray());
        await (await c.GetAsync("/v1/integrations?active=maybe")).ShouldBe(HttpStatusCode.BadRequest, "invalid_filter");

        // Without it, the Kataven catalog list.
        var kataven = await (await c.GetAsync("/v1/integrations")).ShouldBe(HttpStatusCode.OK);
        Assert.NotNull(kataven["integrations"]);
    }
}
