using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace Switchboard.Http.Outbound;

/// <summary>
/// The ConnectCallback of the guarded client: resolves the host itself and connects only to an address the policy
/// permits, so the address checked is the address connected to (no second lookup, no DNS rebinding window).
/// Addresses are tried in the order resolution returned them; blocked ones are skipped.
/// </summary>
public sealed class GuardedConnector(OutboundPolicy policy, IOutboundResolver resolver)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var plainHttp = context.InitialRequestMessage.RequestUri?.Scheme == Uri.UriSchemeHttp;
        var candidates = OutboundPolicy.LiteralAddresses(host) ?? await resolver.ResolveAsync(host, ct);
        var permitted = candidates.Select(BlockedAddresses.Normalize).Where(a => policy.Permits(a, plainHttp)).Distinct().ToList();
        if (permitted.Count == 0) throw new OutboundBlockedException(host.Trim('[', ']'));

        ExceptionDispatchInfo? last = null;
        foreach (var address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = ExceptionDispatchInfo.Capture(e);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        last!.Throw();
        throw new InvalidOperationException("unreachable");
    }
}
