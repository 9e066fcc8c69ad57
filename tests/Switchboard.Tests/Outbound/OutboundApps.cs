using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Http.Outbound;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Outbound;

/// <summary>
/// Names the SSRF tests make resolve to internal addresses (through the guarded client's resolver), as a hostile
/// DNS record would. Any other name goes to the system resolver.
/// </summary>
public sealed class TestResolver : IOutboundResolver
{
    public static readonly Dictionary<string, IPAddress[]> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["loopback.internal.test"] = [IPAddress.Parse("127.0.0.1")],
        ["loopback2.internal.test"] = [IPAddress.Parse("127.0.0.2")],
        ["private.internal.test"] = [IPAddress.Parse("10.1.2.3"), IPAddress.Parse("192.168.0.1")],
        ["metadata.internal.test"] = [IPAddress.Parse("169.254.169.254")],
        ["mapped.internal.test"] = [IPAddress.Parse("::ffff:127.0.0.1"), IPAddress.Parse("::1")],
        // Blocked first, then allowed (in the narrow app): the connector skips to the allowed one.
        ["mixed.internal.test"] = [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("10.0.0.1"), IPAddress.Parse("127.0.0.1")],
    };

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        Names.TryGetValue(host, out var addresses) ? Task.FromResult(addresses) : Dns.GetHostAddressesAsync(host, ct);
}

/// <summary>Switchboard with NO allowed networks (the production default) and the test resolver.</summary>
public class GuardedApp : SwitchboardApp
{
    protected virtual string AllowedNetworks => "";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Switchboard:Outbound:AllowedNetworks"] = AllowedNetworks,
        ["Switchboard:OAuth:WorkerEnabled"] = "false",
        ["Switchboard:Health:AllowBaseUrlOverride"] = "true",
        ["Switchboard:Health:CheckOnInstall"] = "true",
        // The install-time check runs only while checks are enabled; the periodic poll stays a day away.
        ["Switchboard:Health:Enabled"] = "true",
        ["Switchboard:Health:PollInterval"] = "1.00:00:00",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IOutboundResolver, TestResolver>();

    public OutboundHttp Outbound => Services.GetRequiredService<OutboundHttp>();

    public Task<List<string>> OutboundAuditAsync(string accountId) => WithDbAsync(db => db.AuditEvents
        .Where(e => e.AccountId == accountId && e.Action == "outbound.blocked").OrderBy(e => e.CreatedAt).Select(e => e.DataJson).ToListAsync());
}

/// <summary>Only 127.0.0.1 is opened: 127.0.0.2 (and every other loopback address) stays blocked.</summary>
public sealed class NarrowApp : GuardedApp
{
    protected override string AllowedNetworks => "127.0.0.1/32";
}

/// <summary>
/// A TCP listener on every local address (dual-stack [::]) that counts the connections it accepts and answers each
/// with a tiny HTTP 200: the evidence that nothing reached an address the guard refused.
/// </summary>
public sealed class CountingListener : IDisposable
{
    private readonly TcpListener _listener;
    private readonly ConcurrentQueue<IPAddress> _accepted = new();
    private readonly CancellationTokenSource _stop = new();

    public int Port { get; }
    public int Connections => _accepted.Count;
    /// <summary>The local address each connection was made to (IPv4-mapped ones as IPv4).</summary>
    public IReadOnlyList<IPAddress> ConnectedTo => _accepted.ToArray();

    public CountingListener()
    {
        _listener = new TcpListener(IPAddress.IPv6Any, 0);
        _listener.Server.DualMode = true;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) { return; }
            var local = ((IPEndPoint)socket.LocalEndPoint!).Address;
            _accepted.Enqueue(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local);
            _ = AnswerAsync(socket);
        }
    }

    private static async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var buffer = new byte[8192];
                var seen = new StringBuilder();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                while (!seen.ToString().Contains("\r\n\r\n"))
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    if (n == 0) return;
                    seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"), SocketFlags.None);
            }
            catch (Exception) { /* TLS hellos and resets are expected */ }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
