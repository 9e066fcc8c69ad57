using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Switchboard.OAuth;

/// <summary>PKCE, redirect-URL building and the RFC 9207 issuer check of the browser flow.</summary>
public static class OAuthFlow
{
    public static string Challenge(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary><paramref name="url"/> with the query parameters appended (before any fragment), each escaped.</summary>
    public static string WithQuery(string url, IEnumerable<KeyValuePair<string, string>> query) =>
        QueryHelpers.AddQueryString(url, query.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));

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
