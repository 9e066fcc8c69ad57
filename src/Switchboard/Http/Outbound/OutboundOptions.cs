using System.Net;
using Microsoft.Extensions.Options;

namespace Switchboard.Http.Outbound;

/// <summary>Settings under Switchboard:Outbound (env: Switchboard__Outbound__Name).</summary>
public sealed class OutboundOptions
{
    public const string Section = "Switchboard:Outbound";

    /// <summary>
    /// CIDR ranges (or single addresses) opened on purpose: the guarded client connects to them although they are
    /// loopback/private/link-local, and plain http:// is accepted only to them. Empty by default. In configuration
    /// either a list (AllowedNetworks:0, :1, …) or one string separated by commas, semicolons or spaces.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Name resolution plus TCP connect, per connection.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The entries of <see cref="AllowedNetworks"/> as networks; throws naming the first bad entry.</summary>
    public IReadOnlyList<IPNetwork> ParseAllowedNetworks()
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in AllowedNetworks.SelectMany(Split))
        {
            if (TryParseNetwork(entry, out var network)) networks.Add(network);
            else throw new FormatException(
                $"{Section}:AllowedNetworks: '{entry}' is not a CIDR network or IP address (examples: 10.0.0.0/8, 127.0.0.1, fd00::/8).");
        }
        return networks;
    }

    internal static IEnumerable<string> Split(string? value) =>
        (value ?? "").Split([',', ';', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);

    private static bool TryParseNetwork(string entry, out IPNetwork network)
    {
        if (entry.Contains('/')) return IPNetwork.TryParse(entry, out network) && entry[(entry.IndexOf('/') + 1)..].All(char.IsAsciiDigit);
        network = default;
        if (!IPAddress.TryParse(entry, out var address) || !LooksLikeAddress(entry)) return false;
        address = BlockedAddresses.Normalize(address);
        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    // IPAddress.TryParse also takes "1" or "0x7f000001"; an operator's list is spelled out in dotted or colon form.
    private static bool LooksLikeAddress(string s) => s.Contains(':') || s.Count(c => c == '.') == 3;
}

/// <summary>Reads the allow-list in either form and refuses to start with an entry that is not a network.</summary>
public sealed class OutboundOptionsSetup(IConfiguration configuration) : IConfigureOptions<OutboundOptions>, IValidateOptions<OutboundOptions>
{
    public void Configure(OutboundOptions options)
    {
        var section = configuration.GetSection(OutboundOptions.Section);
        section.Bind(options);
        var list = section.GetSection(nameof(OutboundOptions.AllowedNetworks));
        // A plain string is not bound to a list; it is split here ("10.0.0.0/8,127.0.0.0/8"). Entries (":0", ":1") win.
        if (!list.GetChildren().Any() && list.Value is { } text) options.AllowedNetworks = OutboundOptions.Split(text).ToList();
    }

    public ValidateOptionsResult Validate(string? name, OutboundOptions options)
    {
        try { options.ParseAllowedNetworks(); }
        catch (FormatException e) { return ValidateOptionsResult.Fail(e.Message); }
        return options.ConnectTimeout > TimeSpan.Zero
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{OutboundOptions.Section}:ConnectTimeout must be positive.");
    }
}
