using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Connect;

/// <summary>
/// The capabilities of a connect session: its token (in the connect URL) and the return handle of an OAuth attempt
/// started from the page. Only their SHA-256 is stored.
/// </summary>
public static class ConnectTokens
{
    public const string Prefix = "cst_";
    /// <summary>"cst_" and base64url of 32 random bytes.</summary>
    public const int TokenLength = 4 + 43;
    public const string PagePath = "/connect/s/";
    public const string ReturnPath = "/connect/return/";

    public static string NewToken() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string NewHandle() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string NewNonce() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>Rejects anything that cannot be a token before it reaches the database.</summary>
    public static bool LooksValid(string token) =>
        token.Length == TokenLength && token.StartsWith(Prefix, StringComparison.Ordinal) && IsBase64Url(token.AsSpan(Prefix.Length));

    public static bool LooksLikeHandle(string handle) => handle.Length == 43 && IsBase64Url(handle);

    public static bool NonceMatches(string expected, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));

    public static string PageUrl(string publicBaseUrl, string token) => publicBaseUrl.TrimEnd('/') + PagePath + token;

    public static string ReturnUrl(string publicBaseUrl, string handle) => publicBaseUrl.TrimEnd('/') + ReturnPath + handle;

    private static bool IsBase64Url(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        return true;
    }
}
