using Microsoft.AspNetCore.Authentication;

namespace Switchboard.Tenancy;

public static class TenancyServices
{
    /// <summary>API key authentication (with its cache, usage and revocation jobs, login throttle), Tenant and projects.</summary>
    public static IServiceCollection AddTenancy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ProjectResolver>();
        services.AddScoped<Tenant>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<ApiKeyUsage>();
        services.AddOptions<LoginThrottleOptions>().Bind(configuration.GetSection(LoginThrottleOptions.Section))
            .Validate(o => !o.Enabled || (o.MaxFailures >= 1 && o.Window >= TimeSpan.FromMilliseconds(100)),
                "Switchboard:LoginThrottle needs MaxFailures >= 1 and a Window of at least 100 ms (or Enabled=false).")
            .ValidateOnStart();
        services.AddSingleton<LoginThrottle>();
        services.AddHostedService<ApiKeyUsageFlusher>();
        services.AddHostedService<ApiKeyRevocationWatcher>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }
}
