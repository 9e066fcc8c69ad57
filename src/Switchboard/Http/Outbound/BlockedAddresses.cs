using System.Net;
using System.Net.Sockets;

namespace Switchboard.Http.Outbound;

/// <summary>
/// The addresses Switchboard never connects to on a tenant's behalf unless the operator opens them
/// (Switchboard:Outbound:AllowedNetworks): everything the IANA special-purpose registries mark as not globally
/// reachable, which covers loopback, "this network", private (RFC 1918), shared (CGNAT), link-local (cloud metadata),
/// unique-local, multicast, broadcast and reserved ranges, documentation and benchmarking ranges.
/// IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
/// (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16): a NAT64 gateway or a
/// 6to4 relay would otherwise carry the connection to the embedded address. The local-use NAT64 prefix
/// (64:ff9b:1::/48, embedding position chosen by the site) and Teredo (2001::/32, obfuscated embedding) are refused whole.
/// </summary>
public static class BlockedAddresses
{
    private static readonly IPNetwork[] V4 = Networks(
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4");

    private static readonly IPNetwork[] V6 = Networks(
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "3fff::/20", "fc00::/7",
        "fe80::/10", "fec0::/10", "ff00::/8");

    public static bool IsBlocked(IPAddress address)
    {
        var a = Normalize(address);
        if (a.AddressFamily == AddressFamily.InterNetwork) return V4.Any(n => n.Contains(a));
        if (a.AddressFamily != AddressFamily.InterNetworkV6) return true;
        if (EmbeddedIPv4(a) is { } embedded && IsBlocked(embedded)) return true;
        return V6.Any(n => n.Contains(a));
    }

    /// <summary>The address as it is connected to: IPv4-mapped IPv6 becomes IPv4, a scope id is dropped.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }

    /// <summary>The IPv4 address an IPv6 address carries in a form that can lead to it, or null.</summary>
    public static IPAddress? EmbeddedIPv4(IPAddress v6)
    {
        if (v6.AddressFamily != AddressFamily.InterNetworkV6) return null;
        var b = v6.GetAddressBytes();
        bool Zero(int from, int to) { for (var i = from; i < to; i++) if (b[i] != 0) return false; return true; }
        // ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated), 64:ff9b::a.b.c.d (NAT64)
        if (Zero(0, 12)
            || (Zero(0, 10) && b[10] == 0xff && b[11] == 0xff)
            || (Zero(0, 8) && b[8] == 0xff && b[9] == 0xff && Zero(10, 12))
            || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && Zero(4, 12)))
            return new IPAddress(b.AsSpan(12, 4));
        if (b[0] == 0x20 && b[1] == 0x02) return new IPAddress(b.AsSpan(2, 4)); // 2002:aabb:ccdd::/48 (6to4)
        return null;
    }

    private static IPNetwork[] Networks(params string[] cidrs) => cidrs.Select(c => IPNetwork.Parse(c)).ToArray();
}
