using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Switchboard.Http.Outbound;

public static class OutboundServices
{
    public static IServiceCollection AddOutboundHttp(this IServiceCollection services)
    {
        services.AddSingleton<IConfigureOptions<OutboundOptions>, OutboundOptionsSetup>();
        services.AddSingleton<IValidateOptions<OutboundOptions>, OutboundOptionsSetup>();
        services.AddOptions<OutboundOptions>().ValidateOnStart();
        services.AddSingleton(sp => new OutboundPolicy(sp.GetRequiredService<IOptions<OutboundOptions>>()));
        services.TryAddSingleton<IOutboundResolver, DnsOutboundResolver>();
        services.AddSingleton<GuardedConnector>();
        services.AddSingleton<OutboundHttp>();
        services.AddTransient<OutboundRequestGuard>();
        services.AddHttpClient(OutboundHttp.ClientName, client => client.MaxResponseContentBufferSize = OutboundHttp.MaxBufferedResponseBytes)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var connector = sp.GetRequiredService<GuardedConnector>();
                return new SocketsHttpHandler
                {
                    ConnectCallback = connector.ConnectAsync,
                    ConnectTimeout = sp.GetRequiredService<IOptions<OutboundOptions>>().Value.ConnectTimeout,
                    AllowAutoRedirect = false,
                    // A proxy would be the address connected to, and the guard would check the proxy instead of the target.
                    UseProxy = false,
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                };
            })
            // The factory's own handler lifetime (default 2 min) also rotates the handler; its pooled connections close with it.
            .AddHttpMessageHandler<OutboundRequestGuard>()
            .RemoveAllLoggers();
        return services;
    }
}
