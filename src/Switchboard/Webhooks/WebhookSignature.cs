using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Webhooks;

/// <summary>
/// Standard Webhooks signing: secrets are "whsec_" + base64 of random bytes; the key is those bytes; the signature of a
/// message is "v1," + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), one per secret, separated by spaces.
/// </summary>
public static class WebhookSignature
{
    public const string Prefix = "whsec_";
    public const int SecretBytes = 32;

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    public static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);

    public static string Sign(byte[] key, string messageId, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}")));

    /// <summary>The webhook-signature header: one signature per key (during a rotation, the new and the previous secret).</summary>
    public static string Header(IEnumerable<byte[]> keys, string messageId, long timestamp, string body) =>
        string.Join(' ', keys.Select(k => Sign(k, messageId, timestamp, body)));
}
