using System.Net;
using Switchboard.Http.Outbound;

namespace Switchboard.Tests.Outbound;

public sealed class BlockedAddressesTests
{
    [Theory]
    // IPv4: loopback, this network, RFC 1918, link-local (metadata), CGNAT, IETF/documentation/benchmarking, multicast, reserved, broadcast
    [InlineData("127.0.0.1")] [InlineData("127.255.255.254")] [InlineData("0.0.0.0")] [InlineData("0.1.2.3")]
    [InlineData("10.0.0.1")] [InlineData("10.255.255.255")] [InlineData("172.16.0.1")] [InlineData("172.31.255.255")] [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")] [InlineData("169.254.0.1")] [InlineData("100.64.0.1")] [InlineData("100.127.255.255")]
    [InlineData("192.0.0.170")] [InlineData("192.0.2.1")] [InlineData("198.18.0.1")] [InlineData("198.51.100.7")] [InlineData("203.0.113.9")]
    [InlineData("224.0.0.1")] [InlineData("239.255.255.250")] [InlineData("240.0.0.1")] [InlineData("255.255.255.255")]
    // IPv6: unspecified, loopback, link-local, site-local, unique-local, multicast, discard, documentation, Teredo, local NAT64
    [InlineData("::")] [InlineData("::1")] [InlineData("fe80::1")] [InlineData("febf::1")] [InlineData("fec0::1")]
    [InlineData("fc00::1")] [InlineData("fd00::2")] [InlineData("ff02::1")] [InlineData("100::1")] [InlineData("2001:db8::1")]
    [InlineData("2001::1")] [InlineData("64:ff9b:1::a00:1")] [InlineData("3fff::1")]
    // IPv4 carried in IPv6: mapped, compatible, translated, NAT64, 6to4
    [InlineData("::ffff:127.0.0.1")] [InlineData("::ffff:10.0.0.1")] [InlineData("::ffff:169.254.169.254")] [InlineData("::ffff:0.0.0.0")]
    [InlineData("::127.0.0.1")] [InlineData("::10.0.0.1")] [InlineData("::ffff:0:127.0.0.1")]
    [InlineData("64:ff9b::127.0.0.1")] [InlineData("64:ff9b::a9fe:a9fe")] [InlineData("2002:7f00:1::1")] [InlineData("2002:c0a8:101::1")]
    [InlineData("fe80::1%1")]
    public void Internal_addresses_are_blocked(string address) => Assert.True(BlockedAddresses.IsBlocked(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("8.8.8.8")] [InlineData("1.1.1.1")] [InlineData("93.184.216.34")] [InlineData("100.63.255.255")] [InlineData("100.128.0.1")]
    [InlineData("172.15.255.255")] [InlineData("172.32.0.1")] [InlineData("192.169.0.1")] [InlineData("223.255.255.255")] [InlineData("11.0.0.1")]
    [InlineData("2606:4700:4700::1111")] [InlineData("2001:4860:4860::8888")] [InlineData("2a00:1450:4001::1")]
    [InlineData("::ffff:8.8.8.8")] [InlineData("64:ff9b::808:808")] [InlineData("2002:808:808::1")]
    public void Public_addresses_are_not_blocked(string address) => Assert.False(BlockedAddresses.IsBlocked(IPAddress.Parse(address)), address);

    [Fact]
    public void Allowed_networks_open_ranges_and_plain_http_goes_only_to_them()
    {
        var policy = new OutboundPolicy([IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("fd00::/8")]);
        Assert.True(policy.Permits(IPAddress.Parse("127.0.0.1"), plainHttp: false));
        Assert.True(policy.Permits(IPAddress.Parse("127.9.9.9"), plainHttp: true));
        Assert.True(policy.Permits(IPAddress.Parse("::ffff:127.0.0.1"), plainHttp: true));
        Assert.True(policy.Permits(IPAddress.Parse("fd00::2"), plainHttp: false));
        Assert.False(policy.Permits(IPAddress.Parse("::1"), plainHttp: false));
        Assert.False(policy.Permits(IPAddress.Parse("10.0.0.1"), plainHttp: false));
        Assert.False(policy.Permits(IPAddress.Parse("::127.0.0.1"), plainHttp: false));
        Assert.True(policy.Permits(IPAddress.Parse("8.8.8.8"), plainHttp: false));
        Assert.False(policy.Permits(IPAddress.Parse("8.8.8.8"), plainHttp: true));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")] [InlineData("2130706433", "127.0.0.1")] [InlineData("0x7f000001", "127.0.0.1")]
    [InlineData("0177.0.0.1", "127.0.0.1")] [InlineData("127.1", "127.0.0.1")] [InlineData("127.0.0.1.", "127.0.0.1")]
    [InlineData("[::1]", "::1")] [InlineData("[::ffff:127.0.0.1]", "::ffff:127.0.0.1")] [InlineData("localhost", "127.0.0.1")]
    [InlineData("foo.LOCALHOST", "127.0.0.1")] [InlineData("metadata.google.internal", "169.254.169.254")]
    public void Literal_hosts_in_any_spelling_are_recognised(string host, string address) =>
        Assert.Contains(IPAddress.Parse(address), OutboundPolicy.LiteralAddresses(host) ?? []);

    [Theory]
    [InlineData("api.example.com")] [InlineData("1.2.3.4.5")] [InlineData("localhost.example.com")] [InlineData("deadbeef")]
    public void Names_are_not_literals(string host) => Assert.Null(OutboundPolicy.LiteralAddresses(host));
}
