using System.Globalization;
using System.Net;

namespace Switchboard.Http;

/// <summary>
/// The rules for a URL Switchboard sends a browser back to once a flow ends (an OAuth auth URL's redirectUri, later
/// connect sessions), and for the origins an integration may restrict them to. The raw string is checked before it is
/// parsed: browsers and <see cref="Uri"/> disagree about backslashes, whitespace and control characters
/// (<c>https:\\evil.example</c>, a leading tab), and a URL that means one thing to us and another to a browser is
/// an open redirect.
/// </summary>
public static class RedirectUris
{
    public const int MaxLength = 2000;
    public const int MaxOrigins = 20;

    /// <summary>Plain http redirects (to loopback only) are for local development and the tests.</summary>
    public static bool LoopbackHttpAllowed(IHostEnvironment environment) =>
        environment.IsDevelopment() || environment.IsEnvironment("Testing");

    /// <summary>
    /// Null when <paramref name="raw"/> is an acceptable redirect URL, else why not. Absolute <c>https</c> only; plain
    /// <c>http</c> only to a loopback host and only when <paramref name="allowLoopbackHttp"/> (Development, Testing).
    /// </summary>
    public static string? Problem(string raw, bool allowLoopbackHttp)
    {
        if (raw.Length is 0 or > MaxLength) return $"must be 1 to {MaxLength} characters";
        if (HasForbiddenCharacter(raw)) return "must be ASCII (punycode hosts, percent-encoded paths), without backslashes, whitespace or control characters";
        if (!StartsWithScheme(raw, out var scheme)) return "must be an absolute https URL";
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || uri.Host.Length == 0) return "must be an absolute https URL";
        if (uri.UserInfo.Length > 0 || Authority(raw, scheme).Contains('@')) return "must not contain credentials (user info)";
        // Switchboard appends status (and error) when the flow ends; one already there would be read first by the app.
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        if (query.ContainsKey("status") || query.ContainsKey("error")) return "must not carry its own status or error query parameter";
        if (scheme == Uri.UriSchemeHttps) return null;
        if (scheme == Uri.UriSchemeHttp && allowLoopbackHttp && IsLoopback(uri)) return null;
        return allowLoopbackHttp ? "must be an https URL (plain http only to a loopback host)" : "must be an https URL";
    }

    /// <summary>
    /// The origin an allow-list entry names (lower-case, default port left out), or null with why not. An entry is an
    /// origin only: scheme, host and optional port, no path (not even "/"), query, fragment or user info.
    /// </summary>
    public static (string? Origin, string? Problem) ParseOrigin(string raw, bool allowLoopbackHttp)
    {
        if (raw.Length > 300) return (null, "must be at most 300 characters");
        if (Problem(raw, allowLoopbackHttp) is { } problem) return (null, problem);
        StartsWithScheme(raw, out var scheme);
        if (Authority(raw, scheme).Length != raw.Length - scheme.Length - 3)
            return (null, "must be an origin only (scheme://host[:port], no path, query or fragment)");
        return (OriginOf(new Uri(raw)), null);
    }

    /// <summary>scheme://host[:port] as browsers serialise it: lower-case, the default port left out.</summary>
    public static string OriginOf(Uri uri)
    {
        // IdnHost drops an IPv6 literal's brackets: "[2001:db8::1]:8443" would read like the address "2001:db8::1:8443".
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        return uri.IsDefaultPort
            ? $"{uri.Scheme}://{host}".ToLowerInvariant()
            : string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://{host}:{uri.Port}").ToLowerInvariant();
    }

    /// <summary>True when <paramref name="redirectUri"/> (already accepted by <see cref="Problem"/>) is under one of the origins.</summary>
    public static bool IsAllowed(string redirectUri, IEnumerable<string> origins)
    {
        var origin = OriginOf(new Uri(redirectUri));
        return origins.Any(o => string.Equals(o, origin, StringComparison.Ordinal));
    }

    private static bool HasForbiddenCharacter(string raw)
    {
        foreach (var c in raw)
        {
            if (c == '\\' || char.IsWhiteSpace(c) || char.IsControl(c)) return true;
            // The URL ends up in a Location header, which is ASCII: hosts go as punycode, other characters percent-encoded.
            if (c > '\u007e') return true;
            // Zero-width and bidirectional formatting characters make a URL read differently from what it is.
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format) return true;
        }
        return false;
    }

    /// <summary>The raw authority: what follows "scheme://" up to the first "/", "?" or "#".</summary>
    private static string Authority(string raw, string scheme)
    {
        var rest = raw[(scheme.Length + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>The raw string itself must begin with "https://" or "http://": Uri accepts "https:evil.example" too.</summary>
    private static bool StartsWithScheme(string raw, out string scheme)
    {
        foreach (var s in new[] { Uri.UriSchemeHttps, Uri.UriSchemeHttp })
        {
            if (raw.StartsWith(s + "://", StringComparison.OrdinalIgnoreCase))
            {
                scheme = s;
                return true;
            }
        }
        scheme = "";
        return false;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback && (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
                           || IPAddress.TryParse(uri.Host.Trim('[', ']'), out _));
}
