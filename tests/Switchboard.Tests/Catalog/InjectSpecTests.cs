using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Catalog;
using Switchboard.Http.Outbound;
using Switchboard.Providers;

namespace Switchboard.Tests.Catalog;

public sealed partial class InjectSpecTests
{
    private static readonly ProviderCatalog Catalog = ProviderCatalog.Load(ProviderCatalog.DefaultDirectory);
    private static readonly ToolCatalog Tools = ToolCatalog.Load(ProviderCatalog.DefaultDirectory, Catalog);

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Placeholder();

    private static IEnumerable<string> Placeholders(InjectDefinition inject) =>
        inject.Templates().SelectMany(t => Placeholder().Matches(t).Select(m => m.Value));

    /// <summary>Recomputed here rather than trusting InjectRules, so a rule that stopped working shows up.</summary>
    [Fact]
    public void Every_api_key_and_basic_provider_injects_a_declared_secret()
    {
        var keyed = Catalog.Providers.Where(p => p.AuthType is AuthTypes.ApiKey or AuthTypes.Basic).ToList();
        Assert.True(keyed.Count >= 30, $"{keyed.Count}");
        foreach (var p in keyed)
        {
            Assert.True(p.Inject is not null, $"{p.Name} has no inject spec");
            var placeholders = Placeholders(p.Inject).ToList();
            Assert.Contains(placeholders, ph => ph.StartsWith("{secrets.", StringComparison.Ordinal));
            foreach (var ph in placeholders)
            {
                var (scope, name) = (ph[1..ph.IndexOf('.')], ph[(ph.IndexOf('.') + 1)..^1]);
                var fields = scope == "secrets" ? p.Secrets : p.Params;
                Assert.True(scope is "secrets" or "params", $"{p.Name}: {ph}");
                Assert.True(fields.Any(f => f.Name == name), $"{p.Name}: {ph} is not declared");
            }
        }
    }

    [Fact]
    public void Every_provider_with_tools_and_every_token_provider_has_an_inject_spec()
    {
        foreach (var name in Tools.Providers)
            Assert.True(Catalog.Find(name)!.Inject is not null, $"{name} has tools but no inject spec");
        foreach (var p in Catalog.Providers.Where(p => InjectRules.UsesAccessToken(p.AuthType)))
            Assert.Contains(InjectRules.AccessToken, Placeholders(p.Inject!));
        Assert.All(Catalog.Providers.Where(p => p.AuthType == AuthTypes.None), p => Assert.Null(p.Inject));
        Assert.All(Catalog.Providers, p => Assert.Empty(InjectRules.Check(p)));
    }

    [Theory]
    [InlineData("stripe", "Authorization", "Bearer {secrets.api_key}")]
    [InlineData("postmark", "X-Postmark-Server-Token", "{secrets.server_token}")]
    [InlineData("slack", "Authorization", "Bearer {access_token}")]
    [InlineData("github", "Authorization", "Bearer {access_token}")]
    [InlineData("shopify", "X-Shopify-Access-Token", "{access_token}")]
    [InlineData("anthropic", "x-api-key", "{secrets.api_key}")]
    public void Header_injection_is_what_the_provider_wants(string provider, string header, string template)
    {
        var inject = Catalog.Find(provider)!.Inject!;
        Assert.Equal(template, inject.Headers![header]);
        Assert.Null(inject.BasicAuth);
    }

    [Theory]
    [InlineData("twilio", "{secrets.account_sid}", "{secrets.auth_token}")]
    [InlineData("zendesk", "{params.email}/token", "{secrets.api_token}")]
    [InlineData("mailgun", "api", "{secrets.api_key}")]
    [InlineData("freshdesk", "{secrets.api_key}", "X")]
    public void Basic_injection_is_the_pair_the_provider_wants(string provider, string username, string password)
    {
        var basic = Catalog.Find(provider)!.Inject!.BasicAuth!;
        Assert.Equal(username, basic.Username);
        Assert.Equal(password, basic.Password);
    }

    [Fact]
    public void Query_and_sigv4_injection_parse()
    {
        Assert.Equal("{params.team_id}", Catalog.Find("vercel")!.Inject!.Query!["teamId"]);
        var aws = Catalog.Find("aws")!.Inject!.AwsSigV4!;
        Assert.Equal(("sts", "{params.region}"), (aws.Service, aws.Region));
    }

    [Theory]
    [InlineData("stripe", """{"headers": {"Authorization": "Bearer {secrets.nope}"}}""", "names no declared field")]
    [InlineData("stripe", """{"headers": {"Authorization": "Bearer {access_token}"}}""", "only for OAuth")]
    [InlineData("stripe", """{"headers": {"Authorization": "Bearer {params.api_version}"}}""", "no template uses {secrets.NAME}")]
    [InlineData("stripe", """{"headers": {"Authorization": "Bearer {api_key}"}}""", "placeholder {api_key} is not")]
    [InlineData("stripe", """{"headers": {"Authorization": "Bearer {secrets.api_key}"}, "aws_sigv4": {"service": "s3", "region": "x"}}""", "aws_sigv4 is only for AWS_ASSUME_ROLE")]
    [InlineData("stripe", """{"headers": {"Authorization": "Bearer {secrets.api_key}"}, "basic_auth": {"username": "{secrets.api_key}", "password": ""}}""", "basic_auth and an Authorization header")]
    [InlineData("stripe", """{"headers": {"Authorization": "Bearer {secrets.api_key}"}, "cookie": "x"}""", "NoAdditionalPropertiesAllowed")]
    [InlineData("stripe", """{"headers": {"Bad Header": "{secrets.api_key}"}}""", "NoAdditionalPropertiesAllowed")]
    [InlineData("stripe", """{}""", "TooFewProperties")]
    [InlineData("slack", """{"headers": {"Authorization": "Bearer {secrets.client_secret}"}}""", "no template uses {access_token}")]
    [InlineData("aws", """{"headers": {"X-Key": "{secrets.access_key_id}"}, "aws_sigv4": {"service": "sts", "region": "{params.region}"}}""", "signed with aws_sigv4 and nothing else")]
    [InlineData("hacker_news", """{"headers": {"X-Key": "k"}}""", "NONE provider has no credential")]
    public void A_broken_inject_spec_stops_the_provider_catalog(string provider, string inject, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("sb-inject-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "providers"));
            File.Copy(Path.Combine(ProviderCatalog.DefaultDirectory, "provider.schema.json"), Path.Combine(dir.FullName, "provider.schema.json"));
            var entry = JsonNode.Parse(File.ReadAllText(Path.Combine(ProviderCatalog.DefaultDirectory, "providers", provider + ".json")))!.AsObject();
            entry["inject"] = JsonNode.Parse(inject);
            File.WriteAllText(Path.Combine(dir.FullName, "providers", provider + ".json"), entry.ToJsonString());
            var error = Assert.Throws<InvalidDataException>(() => ProviderCatalog.Load(dir.FullName));
            Assert.Contains(provider + ".json", error.Message);
            Assert.Contains(expected, error.Message);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void Custom_providers_take_an_inject_spec_under_the_same_rules()
    {
        var validator = new CustomProviderValidator(new OutboundPolicy([]));
        string Entry(string inject) => $$"""
            {"name": "acme", "display_name": "Acme", "description": "Acme's API.", "category": "other", "auth_type": "API_KEY",
             "api_base_url": "https://api.acme.example", "docs_url": "https://acme.example/docs", "logo_url": "https://acme.example/logo.png",
             "params": [], "secrets": [{"name": "api_key", "type": "string", "required": true, "description": "Key."}],
             "inject": {{inject}}}
            """;
        var (ok, errors) = validator.Validate(JsonDocument.Parse(Entry("""{"headers": {"X-Acme-Key": "{secrets.api_key}"}}""")).RootElement);
        Assert.Empty(errors);
        Assert.Equal("{secrets.api_key}", ok!.Inject!.Headers!["X-Acme-Key"]);

        var (bad, badErrors) = validator.Validate(JsonDocument.Parse(Entry("""{"headers": {"X-Acme-Key": "{secrets.other}"}}""")).RootElement);
        Assert.Null(bad);
        Assert.Contains(badErrors, e => e.Message.Contains("names no declared field"));
    }
}
