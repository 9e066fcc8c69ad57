using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Integrations;

namespace Switchboard.Health;

public static class HealthServices
{
    public static IServiceCollection AddCredentialHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<HealthOptions>(configuration.GetSection(HealthOptions.Section));
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
