namespace Switchboard.Catalog;

public static class CatalogServices
{
    /// <summary>The built-in catalog (loaded and validated on first use, at start), its tools, and the per-account lookup.</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => ProviderCatalog.Load(ProviderCatalog.DefaultDirectory));
        services.AddSingleton(sp => ToolCatalog.Load(ProviderCatalog.DefaultDirectory, sp.GetRequiredService<ProviderCatalog>()));
        services.AddSingleton<AccountCatalog>();
        services.Configure<BaseUrlOverrideOptions>(configuration.GetSection(BaseUrlOverrideOptions.Section));
        services.AddSingleton<BaseUrlOverridePolicy>();
        return services;
    }
}
