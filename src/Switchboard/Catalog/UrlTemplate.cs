using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Catalog;

/// <summary>
/// Builds a URL from a catalog template (authorize, token and revoke URLs, api_base_url) and an install's params.
/// A placeholder in the authority (<c>https://{params.host}/oauth/token</c>, <c>https://{params.shop}.myshopify.com</c>)
/// is a host, inserted as it is once it has host syntax (<c>host[:port]</c>, or an IPv6 literal in brackets);
/// percent-escaping it would turn <c>gitlab.example.com:8443</c> into a host that cannot be parsed. Every other
/// placeholder is percent-escaped. The result is parsed with <see cref="Uri.TryCreate(string, UriKind, out Uri)"/>:
/// a URL that cannot be built is null, never an exception.
/// </summary>
public static partial class UrlTemplate
{
    [GeneratedRegex(@"\{params\.([a-z0-9_]+)\}")]
    private static partial Regex Placeholder();

    // DNS name or IPv4 (labels of letters, digits, '-', dots between), or an IPv6 literal; then an optional port.
    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex HostSyntax();

    /// <summary>The filled URL text, or null when a host placeholder's value is missing or not a host.</summary>
    public static string? Fill(string template, Func<string, string?> param)
    {
        var (start, end) = AuthorityOf(template);
        var text = new StringBuilder(template.Length + 32);
        var last = 0;
        foreach (Match m in Placeholder().Matches(template))
        {
            text.Append(template, last, m.Index - last);
            last = m.Index + m.Length;
            var value = param(m.Groups[1].Value);
            if (m.Index >= start && m.Index < end)
            {
                if (value is null || !IsHost(value)) return null;
                text.Append(value);
            }
            else text.Append(Uri.EscapeDataString(value ?? ""));
        }
        return text.Append(template, last, template.Length - last).ToString();
    }

    /// <summary>The filled URL as an absolute http(s) URI without user info, or null when it cannot be built.</summary>
    public static Uri? Build(string template, Func<string, string?> param) =>
        Fill(template, param) is { } text && Uri.TryCreate(text, UriKind.Absolute, out var uri)
            && uri.Scheme is "https" or "http" && uri.Host.Length > 0 && uri.UserInfo.Length == 0
            ? uri : null;

    /// <summary>True for <c>host</c>, <c>host:port</c> (port 1–65535) and <c>[v6]:port</c>.</summary>
    public static bool IsHost(string value)
    {
        if (value.Length is 0 or > 255 || !HostSyntax().IsMatch(value) || value.EndsWith('\n')) return false;
        var colon = value.LastIndexOf(':');
        if (colon < 0 || value.EndsWith(']')) return true;
        return int.TryParse(value.AsSpan(colon + 1), out var port) && port is >= 1 and <= 65535;
    }

    /// <summary>Where the authority of the template lies: after "://", up to the first '/', '?' or '#'.</summary>
    private static (int Start, int End) AuthorityOf(string template)
    {
        var scheme = template.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return (0, 0);
        var start = scheme + 3;
        var end = template.IndexOfAny(['/', '?', '#'], start);
        return (start, end < 0 ? template.Length : end);
    }
}
