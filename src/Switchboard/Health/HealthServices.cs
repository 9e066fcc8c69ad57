using Switchboard.Store;

namespace Switchboard.Health;

public static class HealthServices
{
    public static IServiceCollection AddCredentialHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<HealthOptions>(configuration.GetSection(HealthOptions.Section));
        services.AddSingleton<CredentialChecker>();
        services.AddSingleton<IPostInstallHook>(sp => sp.GetRequiredService<CredentialChecker>());
        services.AddSingleton<HealthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthMonitor>());
        return services;
    }
}
