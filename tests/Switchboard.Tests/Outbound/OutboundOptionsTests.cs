using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Http.Outbound;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Outbound;

public sealed class OutboundOptionsTests
{
    private static Dictionary<string, string?> With(params (string Key, string Value)[] settings)
    {
        var s = new Dictionary<string, string?>
        {
            ["Switchboard:Crypto:Keys"] = $"k1:{SwitchboardApp.KeyK1}",
        };
        foreach (var (k, v) in settings) s[k] = v;
        return s;
    }

    [Theory]
    [InlineData("10.0.0.0/33")] [InlineData("not-a-network")] [InlineData("127.0.0.0/8,10.0.0.0/x")] [InlineData("300.1.1.1/32")] [InlineData("2130706433")]
    public async Task A_bad_allowed_network_stops_the_start_with_the_setting_named(string value)
    {
        var app = new NodeApp(With(("Switchboard:Outbound:AllowedNetworks", value)));
        await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)app).InitializeAsync());
        // The process prints the same text as its one stderr line (StartupTests); in-process, the log carries it.
        var line = Assert.Single(app.Logs.Lines, l => l.StartsWith("Critical ", StringComparison.Ordinal));
        Assert.Contains("invalid setting: Switchboard:Outbound:AllowedNetworks", line);
        Assert.Contains($"'{value.Split(',').Last()}'", line);
        await app.Database.DisposeAsync();
    }

    [Fact]
    public async Task Allowed_networks_are_read_as_a_list_or_as_one_separated_string()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using (var listed = await NodeApp.StartAsync(db, With(("Switchboard:Outbound:AllowedNetworks:0", "10.0.0.0/8"),
                         ("Switchboard:Outbound:AllowedNetworks:1", "fd00::/8"))))
            Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fd00::/8")], listed.Services.GetRequiredService<OutboundPolicy>().AllowedNetworks);
        await using (var joined = await NodeApp.StartAsync(db, With(("Switchboard:Outbound:AllowedNetworks", "10.0.0.0/8; 192.168.1.7 ,::1"))))
            Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("192.168.1.7/32"), IPNetwork.Parse("::1/128")],
                joined.Services.GetRequiredService<OutboundPolicy>().AllowedNetworks);
        await using (var none = await NodeApp.StartAsync(db, With()))
            Assert.Empty(none.Services.GetRequiredService<OutboundPolicy>().AllowedNetworks);
    }
}
