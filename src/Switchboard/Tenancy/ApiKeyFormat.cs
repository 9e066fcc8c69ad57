using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Tenancy;

/// <summary>
/// sk_live_{account}_{secret}{check}: the account id's body, 32 base62 characters (~190 random bits)
/// and a 6-character base62 CRC-32 of everything before it, so a mistyped key is refused without
/// touching the database.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "sk_live_";
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int SecretLength = 32, CheckLength = 6;

    public static string Generate(string accountId)
    {
        var body = AccountBody(accountId);
        var secret = RandomNumberGenerator.GetString(Alphabet, SecretLength);
        var head = Prefix + body + "_" + secret;
        return head + Checksum(head);
    }

    /// <summary>Parses and checks a presented key; returns the account id on success.</summary>
    public static bool TryParse(string key, out string accountId)
    {
        accountId = "";
        if (key.Length > 200 || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = key.AsSpan(Prefix.Length);
        var sep = rest.LastIndexOf('_');
        if (sep <= 0 || rest.Length - sep - 1 != SecretLength + CheckLength) return false;
        var head = key[..^CheckLength];
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Checksum(head)), Encoding.ASCII.GetBytes(key[^CheckLength..])))
            return false;
        accountId = "acc_" + rest[..sep].ToString();
        return true;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string Display(string key) => key[..Math.Min(key.Length, Prefix.Length + 20)] + "…";

    private static string AccountBody(string accountId) =>
        accountId.StartsWith("acc_", StringComparison.Ordinal) ? accountId[4..] : throw new ArgumentException("not an account id");

    private static string Checksum(string head)
    {
        // CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320), as every key issued so far was checked with.
        var crc = Crc32.HashToUInt32(Encoding.ASCII.GetBytes(head));
        Span<char> chars = stackalloc char[CheckLength];
        for (var i = CheckLength - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }
        return new string(chars);
    }
}
