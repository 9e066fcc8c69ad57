namespace Switchboard.Credentials;

public static class CredentialsServices
{
    /// <summary>Token requests, machine grants, the lease-coordinated refresh and its background worker.</summary>
    public static IServiceCollection AddCredentials(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<OAuthOptions>(configuration.GetSection(OAuthOptions.Section));
        services.AddSingleton<TokenClient>();
        services.AddSingleton<AwsAssumeRole>();
        services.AddSingleton<TokenRefresher>();
        services.AddSingleton<CredentialService>();
        services.AddSingleton<UsableCredentials>();
        services.AddSingleton<RefreshWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<RefreshWorker>());
        return services;
    }
}
