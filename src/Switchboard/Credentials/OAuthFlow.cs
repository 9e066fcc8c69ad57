using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Credentials;

/// <summary>Random handles, their stored hashes, PKCE and redirect-URL building.</summary>
public static class OAuthFlow
{
    public const string StartPath = "/api/v1/oauth/start/";
    public const string CallbackPath = "/api/v1/oauth/callback";

    public static string NewHandle() => GoogleAssertion.B64(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string handle) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(handle)));

    public static string Challenge(string verifier) => GoogleAssertion.B64(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static string CallbackUrl(string publicBaseUrl) => publicBaseUrl.TrimEnd('/') + CallbackPath;

    public static string StartUrl(string publicBaseUrl, string handle) => publicBaseUrl.TrimEnd('/') + StartPath + handle;

    public static string WithQuery(string url, IEnumerable<KeyValuePair<string, string>> query)
    {
        var fragment = "";
        var hash = url.IndexOf('#');
        if (hash >= 0) { fragment = url[hash..]; url = url[..hash]; }
        var sb = new StringBuilder(url);
        var sep = url.Contains('?') ? (url.EndsWith('?') || url.EndsWith('&') ? "" : "&") : "?";
        foreach (var (k, v) in query)
        {
            sb.Append(sep).Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v));
            sep = "&";
        }
        return sb.Append(fragment).ToString();
    }

    /// <summary>RFC 9207: the iss a provider sends must be the origin (plus optional path) its authorize URL lives under.</summary>
    public static bool IssuerMatches(string iss, string authorizeUrl)
    {
        if (!Uri.TryCreate(iss, UriKind.Absolute, out var i) || !Uri.TryCreate(authorizeUrl, UriKind.Absolute, out var a)) return false;
        if (!string.Equals(i.Scheme, a.Scheme, StringComparison.OrdinalIgnoreCase) || !string.Equals(i.Authority, a.Authority, StringComparison.OrdinalIgnoreCase))
            return false;
        var path = i.AbsolutePath.TrimEnd('/');
        return path.Length == 0 || a.AbsolutePath.StartsWith(path + "/", StringComparison.Ordinal) || a.AbsolutePath == path;
    }
}
