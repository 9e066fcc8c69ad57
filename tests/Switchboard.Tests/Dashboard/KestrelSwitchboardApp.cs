using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The service on a real Kestrel socket at 127.0.0.1, for a real browser. The port is chosen before start
/// because Switchboard:PublicBaseUrl (which install links are built from) must name it.
/// </summary>
public sealed class KestrelSwitchboardApp : SwitchboardApp
{
    public string BaseUrl { get; }
    private readonly int _port;

    public KestrelSwitchboardApp()
    {
        _port = FreePort();
        BaseUrl = $"http://127.0.0.1:{_port}";
        UseKestrel(o => o.Listen(IPAddress.Loopback, _port));
    }

    protected override IDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Switchboard:PublicBaseUrl"] = BaseUrl };

    /// <summary>Where Kestrel actually listens.</summary>
    public IReadOnlyCollection<string> ListeningAddresses =>
        Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
