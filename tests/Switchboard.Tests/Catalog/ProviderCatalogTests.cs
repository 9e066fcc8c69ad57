using System.Text.Json;
using Switchboard.Catalog;

namespace Switchboard.Tests.Catalog;

public sealed class ProviderCatalogTests
{
    private static readonly ProviderCatalog Catalog = ProviderCatalog.Load(ProviderCatalog.DefaultDirectory);

    [Fact]
    public void Every_entry_loads_and_passes_the_schema_and_rules()
    {
        Assert.True(Catalog.Providers.Count >= 40, $"{Catalog.Providers.Count} providers");
        Assert.All(Catalog.Providers, p => Assert.Empty(ProviderRules.Check(p)));
        Assert.Equal(Catalog.Providers.Count, Catalog.Providers.Select(p => p.Name).Distinct().Count());
    }

    [Theory]
    [InlineData("stripe", "API_KEY")]
    [InlineData("shopify", "OAUTH2")]
    [InlineData("slack", "OAUTH2")]
    [InlineData("discord", "OAUTH2")]
    [InlineData("linear", "OAUTH2")]
    [InlineData("github", "OAUTH2")]
    [InlineData("notion", "OAUTH2")]
    [InlineData("cal_com", "API_KEY")]
    [InlineData("hubspot", "OAUTH2")]
    [InlineData("pipedrive", "API_KEY")]
    [InlineData("salesforce", "OAUTH2")]
    [InlineData("zendesk", "BASIC")]
    [InlineData("mailgun", "BASIC")]
    [InlineData("postmark", "API_KEY")]
    [InlineData("twilio", "BASIC")]
    [InlineData("plivo", "BASIC")]
    [InlineData("google_service_account", "GOOGLE_SERVICE_ACCOUNT")]
    [InlineData("aws", "AWS_ASSUME_ROLE")]
    public void Every_provider_the_seeds_name_is_present_with_its_auth_type(string name, string authType)
    {
        var p = Catalog.Find(name);
        Assert.NotNull(p);
        Assert.Equal(authType, p.AuthType);
        Assert.StartsWith("https://", p.DocsUrl);
    }

    [Fact]
    public void Oauth_providers_take_the_tenants_own_client_id_and_secret()
    {
        foreach (var p in Catalog.Providers.Where(p => p.AuthType is AuthTypes.OAuth2 or AuthTypes.OAuth2ClientCredentials))
        {
            Assert.Contains(p.Params, f => f.Name == "client_id" && f.Required);
            Assert.Contains(p.Secrets, f => f.Name == "client_secret" && f.Required);
            Assert.StartsWith("https://", p.Oauth!.TokenUrl);
        }
    }

    [Fact]
    public void Every_default_value_satisfies_its_own_pattern_and_enum()
    {
        foreach (var p in Catalog.Providers)
        foreach (var f in p.Params.Concat(p.Secrets).Where(f => f.Default is { ValueKind: JsonValueKind.String }))
        {
            var value = f.Default!.Value.GetString()!;
            if (f.Pattern is not null) Assert.True(InstallRequest.Matches(f.Pattern, value), $"{p.Name}.{f.Name} default '{value}' fails {f.Pattern}");
            if (f.Enum is not null) Assert.Contains(value, f.Enum);
        }
    }

    [Fact]
    public void Stripe_verification_is_get_v1_account_with_the_key_as_bearer()
    {
        var verify = Catalog.Find("stripe")!.Verify!;
        Assert.Equal("GET", verify.Method);
        Assert.Equal("/v1/account", verify.Path);
        Assert.Equal("Bearer {secrets.api_key}", verify.Headers!["Authorization"]);
    }

    [Theory]
    [InlineData("\"auth_type\": \"API_KEY\"", "\"auth_type\": \"PASSWORD\"")]
    [InlineData("\"category\": \"payments\"", "\"category\": \"money\"")]
    [InlineData("\"name\": \"stripe\"", "\"name\": \"Stripe!\"")]
    [InlineData("\"docs_url\"", "\"unknown_key\": 1, \"docs_url\"")]
    [InlineData("\"pattern\": \"^(sk|rk)_(live|test)_[A-Za-z0-9]{10,}$\"", "\"pattern\": \"^(sk\"")]
    [InlineData("Bearer {secrets.api_key}", "Bearer {secrets.nope}")]
    public void A_broken_entry_stops_the_load_and_is_named(string find, string replace)
    {
        var dir = Directory.CreateTempSubdirectory("sb-catalog-");
        Directory.CreateDirectory(Path.Combine(dir.FullName, "providers"));
        File.Copy(Path.Combine(ProviderCatalog.DefaultDirectory, "provider.schema.json"), Path.Combine(dir.FullName, "provider.schema.json"));
        var text = File.ReadAllText(Path.Combine(ProviderCatalog.DefaultDirectory, "providers", "stripe.json"));
        Assert.Contains(find, text);
        File.WriteAllText(Path.Combine(dir.FullName, "providers", "stripe.json"), text.Replace(find, replace));

        var error = Assert.Throws<InvalidDataException>(() => ProviderCatalog.Load(dir.FullName));
        Assert.Contains("stripe.json", error.Message);
        dir.Delete(recursive: true);
    }
}
