using System.Net;

namespace Switchboard.Http.Outbound;

/// <summary>Name resolution for the guarded client (replaceable, e.g. in tests, to make a name resolve to 127.0.0.1).</summary>
public interface IOutboundResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

public sealed class DnsOutboundResolver : IOutboundResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}
