using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Providers;

namespace Switchboard.OAuth;

public static class OAuthServices
{
    public static IServiceCollection AddSwitchboardOAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<OAuthOptions>(configuration.GetSection(OAuthOptions.Section));
        services.AddSingleton<AccountCatalog>();
        services.AddSingleton<CustomProviderValidator>();
        services.AddSingleton<TokenClient>();
        services.AddSingleton<AwsAssumeRole>();
        services.AddSingleton<CredentialService>();
        services.AddSingleton<RefreshWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<RefreshWorker>());
        return services;
    }
}
