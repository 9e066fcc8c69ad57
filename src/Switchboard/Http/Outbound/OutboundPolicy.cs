using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Switchboard.Http.Outbound;

/// <summary>
/// Which destinations requests made on a tenant's behalf may reach: at connect time by the resolved address
/// (<see cref="Permits"/>, used by the guarded client), and where a tenant declares a destination (a custom provider's
/// URLs, a host param, base_url_override) by its literal form, so that an obviously internal target is refused with
/// a 400 before anything is stored. Plain http:// goes only to addresses inside the operator's allow-list: at
/// declaration the host must be an address literal there (a name over plain http is refused, since what it resolves
/// to can change), and at connect time the resolved address must be there.
/// </summary>
public sealed partial class OutboundPolicy
{
    public OutboundPolicy(IOptions<OutboundOptions> options) => AllowedNetworks = options.Value.ParseAllowedNetworks();

    public OutboundPolicy(IReadOnlyList<IPNetwork> allowedNetworks) => AllowedNetworks = allowedNetworks;

    public IReadOnlyList<IPNetwork> AllowedNetworks { get; }

    /// <summary>True when the operator opened the network the address is in.</summary>
    public bool IsOpened(IPAddress address)
    {
        var a = BlockedAddresses.Normalize(address);
        return AllowedNetworks.Any(n => n.Contains(a));
    }

    /// <summary>Whether the guarded client may connect to this (resolved) address.</summary>
    public bool Permits(IPAddress address, bool plainHttp) => IsOpened(address) || (!plainHttp && !BlockedAddresses.IsBlocked(address));

    /// <summary>
    /// The addresses a host name stands for without asking DNS: an IP literal in any spelling the URL parser accepts
    /// (2130706433, 0x7f000001, 0177.0.0.1, [::ffff:127.0.0.1], …), or a name reserved for local or metadata use
    /// (localhost, *.localhost, metadata.google.internal, …). Null for any other name.
    /// </summary>
    public static IPAddress[]? LiteralAddresses(string host)
    {
        var h = host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.');
        if (h.Contains(':'))
            return IPAddress.TryParse(Uri.UnescapeDataString(h), out var v6) ? [v6] : null;
        if (h.Length == 0) return null;
        if (IPAddress.TryParse(h, out var v4) && IsNumericHost(h)) return [v4];
        if (Uri.TryCreate("https://" + h + "/", UriKind.Absolute, out var uri) && uri.HostNameType == UriHostNameType.IPv4
            && IPAddress.TryParse(uri.Host, out var canonical)) return [canonical];
        var lower = h.ToLowerInvariant();
        if (lower == "localhost" || lower.EndsWith(".localhost", StringComparison.Ordinal)) return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        return MetadataNames.Contains(lower) ? [MetadataAddress] : null;
    }

    private static readonly IPAddress MetadataAddress = IPAddress.Parse("169.254.169.254");

    /// <summary>Cloud metadata services reached by name; their address is link-local.</summary>
    private static readonly HashSet<string> MetadataNames =
        ["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"];

    private static bool IsNumericHost(string h) => h.All(c => char.IsAsciiHexDigit(c) || c is '.' or 'x' or 'X');

    /// <summary>
    /// A declared URL (possibly with {params.NAME} placeholders): https, or plain http to an opened address literal;
    /// no credentials; not an address literal (or reserved name) that is not allowed. A reserved name with several
    /// addresses (localhost) passes when one of them is allowed, as the connector then connects to that one.
    /// Null when acceptable.
    /// </summary>
    public FieldError? CheckUrl(string field, string url)
    {
        var probe = Placeholder().Replace(url, _ => "placeholder");
        if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
            return new FieldError(field, "invalid_url", $"{field} must be an absolute https URL.");
        // A URL goes out in a request line or a Location header, which are ASCII: a non-ASCII host made the start leg 500,
        // and the URL parser reads ideographic and full-width dots as dots (https://127\u30020\u30020\u30021 is 127.0.0.1).
        if (!url.All(char.IsAscii))
            return new FieldError(field, "invalid_url", $"{field} must be ASCII: a host as punycode (xn--...), other characters percent-encoded.");
        var authority = AuthorityOf(url);
        var templatedHost = Placeholder().IsMatch(authority);
        if (uri.UserInfo.Length > 0)
            return new FieldError(field, "invalid_url", $"{field} must not carry credentials in the URL.");
        var literal = templatedHost ? null : LiteralAddresses(uri.Host);
        // A host filled from a param is known only at install (checked then as a host); over plain http the connect-time
        // guard refuses anything outside the allowed networks, so such a URL is declarable only where some are open.
        var plainHttpRefused = templatedHost ? AllowedNetworks.Count == 0 : literal is null || !literal.Any(IsOpened);
        if (uri.Scheme == "http" && plainHttpRefused)
            return new FieldError(field, "insecure_url",
                $"{field} must use https; plain http is accepted only to an address inside Switchboard:Outbound:AllowedNetworks.");
        return literal is not null && !literal.Any(a => Permits(a, plainHttp: false)) ? Blocked(field, uri.Host) : null;
    }

    /// <summary>A host param: host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address) that is not blocked.</summary>
    public FieldError? CheckHost(string field, string value)
    {
        var m = HostPort().Match(value);
        if (!m.Success || value.Length > 260 || (m.Groups["port"].Success && int.Parse(m.Groups["port"].Value) is < 1 or > 65535)
            || !Uri.TryCreate("https://" + value + "/", UriKind.Absolute, out var uri))
            return new FieldError(field, "invalid_host", $"{field} must be a host name or address with an optional :port (e.g. gitlab.example.com:8443).");
        var literal = LiteralAddresses(uri.Host);
        return literal is not null && !literal.Any(a => Permits(a, plainHttp: false)) ? Blocked(field, m.Groups["host"].Value) : null;
    }

    private static FieldError Blocked(string field, string host) => new(field, "blocked_address",
        $"{field} names {Problems.Truncate(host, 100)}, a loopback, private, link-local or otherwise internal address that Switchboard does not " +
        "connect to (an operator can open ranges with Switchboard:Outbound:AllowedNetworks).");

    private static string AuthorityOf(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        if (start < 0) return "";
        start += 3;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        return end < 0 ? url[start..] : url[start..end];
    }

    [GeneratedRegex(@"\{(params|secrets)\.[A-Za-z0-9_]+\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::(?<port>[0-9]{1,5}))?$")]
    private static partial Regex HostPort();
}
