using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Credentials;

/// <summary>
/// The capabilities of the OAuth browser legs (the single-use start handle, the state) and the URLs they live at.
/// Only a handle's hash is ever stored. Shared by the routes that open a session (auth URLs, the hosted install page)
/// and the OAuth flow that serves them.
/// </summary>
public static class OAuthHandles
{
    public const string StartPath = "/api/v1/oauth/start/";
    public const string CallbackPath = "/api/v1/oauth/callback";

    /// <summary>256 random bits, base64url.</summary>
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string handle) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(handle)));

    public static string CallbackUrl(string publicBaseUrl) => publicBaseUrl.TrimEnd('/') + CallbackPath;

    public static string StartUrl(string publicBaseUrl, string handle) => publicBaseUrl.TrimEnd('/') + StartPath + handle;
}
