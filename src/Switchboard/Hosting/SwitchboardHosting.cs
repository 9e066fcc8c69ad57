using System.Text.Json;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;
using Switchboard.ApiKeys;
using Switchboard.AuditTrail;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Connect;
using Switchboard.Dashboard;
using Switchboard.Health;
using Switchboard.Hosting.Operations;
using Switchboard.Hosting.OpenApi;
using Switchboard.Http;
using Switchboard.Http.Outbound;
using Switchboard.Idempotency;
using Switchboard.Integrations;
using Switchboard.Invocation;
using Switchboard.Jobs;
using Switchboard.Lifecycle;
using Switchboard.Mcp;
using Switchboard.OAuth;
using Switchboard.Projects;
using Switchboard.Providers;
using Switchboard.Proxy;
using Switchboard.RateLimiting;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;
using Switchboard.Tools;
using Switchboard.Webhooks;

namespace Switchboard.Hosting;

/// <summary>Wires the features together; each feature's endpoints live in its own folder.</summary>
public static class SwitchboardHosting
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static void AddSwitchboard(this WebApplicationBuilder builder)
    {
        SettingsCheck.VerifyConversions(builder.Configuration);
        var section = builder.Configuration.GetSection(SwitchboardOptions.Section);
        var options = section.Get<SwitchboardOptions>() ?? new SwitchboardOptions();
        builder.Services.Configure<SwitchboardOptions>(section);

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls(DefaultUrl);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.AddServerHeader = false;
        });

        var services = builder.Services;
        services.AddSwitchboardDb(options.Database);
        services.AddMemoryCache(o => o.SizeLimit = 100_000);
        services.AddSingleton(sp => KeyRingLoader.Load(options.Crypto,
            allowCreate: options.Crypto.AutoCreateKey || builder.Environment.IsDevelopment(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard.Crypto")));
        services.AddSingleton<SecretBox>();
        services.AddSingleton<NodeIdentity>();
        services.AddOutboundHttp();
        services.AddCatalog(builder.Configuration);
        services.AddTenancy(builder.Configuration);
        services.AddCredentials(builder.Configuration);
        services.AddInvocation(builder.Configuration);

        services.AddSingleton<IntegrationListCache>();
        services.AddSingleton<InstallRules>();
        services.AddSingleton<CustomProviderValidator>();
        services.AddRateLimits(builder.Configuration);
        services.AddIdempotency(builder.Configuration);
        services.AddCredentialHealth(builder.Configuration);
        services.AddMcpFeature(builder.Configuration);
        services.AddWebhooks(builder.Configuration);
        services.AddLiveness();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemDefaults.Apply);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
        });
        // No services.AddValidation(): requests are checked by hand (typed readers answering problem+json), and its
        // endpoint filter walks every [AsParameters] bundle, DbContext and Tenant included, on every request: measured
        // at 70% of the CPU of a cached GET /api/v1/integrations (dotnet-trace, 2026-12-01).
        services.AddContractOpenApi();
        builder.AddSwitchboardOperations();
    }

    /// <summary>Migrations, catalog and key ring checks, first-run bootstrap: before the first request.</summary>
    public static async Task PrepareSwitchboardAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard");
        var catalog = app.Services.GetRequiredService<ProviderCatalog>();
        var tools = app.Services.GetRequiredService<ToolCatalog>();
        logger.LogInformation("Catalog: {Count} providers, {Tools} tools of {ToolProviders} providers", catalog.Providers.Count, tools.Tools.Count, tools.Providers.Count);
        _ = app.Services.GetRequiredService<KeyRing>();
        // A setting that breaks its rule (an Outbound allow-list entry that is not a network) stops the start here, named.
        SettingsCheck.VerifyRules(app.Services);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDb>();
        if (options.Database.MigrateOnStartup || options.Bootstrap) await DatabaseStartup.WaitAndPrepareAsync(db, options.Database, logger);
        if (options.Database.MigrateOnStartup) await StoreServices.MigrateAsync(db);
        if (options.Bootstrap && await Bootstrap.RunAsync(app.Services.GetRequiredService<IStoreWriter>(), logger, CancellationToken.None) is { } created)
            StartupBanner.PrintWhenStarted(app, created);
    }

    public static void UseSwitchboard(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The seed's base URL is /v1; both prefixes serve the same endpoints. A prefix test, not a regex rewrite: it runs
        // on every request, and before routing (hence the explicit UseRouting) so the rewritten path is the one matched.
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal, out var rest) && rest.HasValue)
                context.Request.Path = ApiPrefix.Add(rest);
            return next(context);
        });
        app.UseRouting();
        app.UseAuthentication();
        app.UseRateLimits();
        app.UseAuthorization();
        app.UseBodylessWrites();
        app.UseIdempotency();

        app.MapOpenApi();
        app.MapScalarApiReference("/docs", ApiDocs.Configure);
        app.MapLiveness();
        app.MapSwitchboardOperations();

        app.MapConnectPages();
        var api = app.MapGroup("/api/v1");
        api.MapIntegrations();
        app.MapMcpFeature(api);
        api.MapTools();
        api.MapProxy();
        api.MapApiKeys();
        api.MapProjects();
        api.MapProjectIntegrations();
        api.MapAuditLog();
        api.MapInstallUrl();
        api.MapCredentialHealth();
        api.MapProviders();
        api.MapIntegrationUsers();
        api.MapOAuthFlow();
        api.MapWebhooks();
        app.MapConnect(api);
    }

    private static readonly PathString ApiPrefix = "/api/v1";

}
