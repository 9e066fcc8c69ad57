using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Switchboard.Tenancy;

namespace Switchboard.Hosting.Operations;

/// <summary>
/// Switchboard:PublicBaseUrl, when not set, is the first address the server listens on (install links and OAuth
/// callbacks then point at this very process, whatever --urls or ASPNETCORE_URLS said). Set from the configured
/// address before the start and from the bound one (a port of 0 resolved) once the server listens.
/// </summary>
public sealed class PublicBaseUrlDefault(IConfiguration configuration, IOptions<SwitchboardOptions> options, IServer server,
    IHostApplicationLifetime lifetime, ILogger<PublicBaseUrlDefault> logger) : IHostedService
{
    public const string Key = SwitchboardOptions.Section + ":" + nameof(SwitchboardOptions.PublicBaseUrl);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(configuration[Key])) return Task.CompletedTask;
        var configured = (configuration["urls"] ?? SwitchboardHosting.DefaultUrl)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (configured is not null && Usable(configured) is { } early) options.Value.PublicBaseUrl = early;
        lifetime.ApplicationStarted.Register(() =>
        {
            var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (bound is null || Usable(bound) is not { } url) return;
            options.Value.PublicBaseUrl = url;
            logger.LogInformation("{Setting} is not set: install links and OAuth callbacks use {PublicBaseUrl}", Key, url);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A listen address as a URL a browser on this machine can open (wildcards become loopback), or null.</summary>
    public static string? Usable(string address)
    {
        var normalized = address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Port == 0) return null;
        return Bootstrap.Reachable(normalized);
    }
}
