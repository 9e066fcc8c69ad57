using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Switchboard.Integrations;

namespace Switchboard.Health;

public static class HealthServices
{
    public static IServiceCollection AddCredentialHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<HealthOptions>(configuration.GetSection(HealthOptions.Section));
        services.AddHttpClient(CredentialChecker.HttpClientName, (sp, client) =>
                client.Timeout = sp.GetRequiredService<IOptions<HealthOptions>>().Value.Timeout)
            // Redirects are not followed (the credentials would go along); URLs may hold secrets, so the client logs nothing.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
            .RemoveAllLoggers();
        services.AddSingleton<CredentialChecker>();
        services.AddSingleton<HealthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthMonitor>());
        return services;
    }
}

/// <summary>The health columns this feature adds to integrations.</summary>
public sealed class IntegrationHealthConfiguration : IEntityTypeConfiguration<Integration>
{
    public void Configure(EntityTypeBuilder<Integration> e)
    {
        e.Property(x => x.BaseUrlOverride).HasMaxLength(BaseUrlOverride.MaxLength);
        // The monitor's scan for due checks spans accounts.
        e.HasIndex(x => new { x.Status, x.HealthCheckDueAt });
    }
}
