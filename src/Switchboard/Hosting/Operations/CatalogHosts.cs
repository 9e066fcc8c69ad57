using Switchboard.Catalog;
using Switchboard.Telemetry;

namespace Switchboard.Hosting.Operations;

/// <summary>Tells the metrics which outbound hosts are the catalog's own (counted by name); tenants' hosts count as "other".</summary>
public sealed class CatalogHosts(ProviderCatalog catalog) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        SwitchboardMetrics.SetKnownHosts(Of(catalog));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Hosts of the catalog's fixed URLs (a URL with a placeholder in its host names a tenant's server).</summary>
    public static IEnumerable<string> Of(ProviderCatalog catalog) => catalog.Providers
        .SelectMany(p => new[] { p.ApiBaseUrl, p.Oauth?.AuthorizeUrl, p.Oauth?.TokenUrl, p.Oauth?.RevokeUrl })
        .Where(u => u is not null && !Authority(u).Contains('{', StringComparison.Ordinal))
        .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri.Host : null)
        .OfType<string>()
        .Distinct(StringComparer.OrdinalIgnoreCase);

    private static string Authority(string? url)
    {
        if (url is null) return "";
        var start = url.IndexOf("://", StringComparison.Ordinal);
        var rest = start < 0 ? url : url[(start + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        return end < 0 ? rest : rest[..end];
    }
}
