using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Sealing;

/// <summary>
/// AES-256-GCM envelope encryption. Each value gets its own random data key (DEK); the DEK is
/// wrapped by the active key-encryption key (KEK). Both layers use the same AAD, which binds the
/// ciphertext to its account, record and field, so a ciphertext copied elsewhere will not open.
///
/// Stored format (version 1):
///   [1] version=1 [1] kid length L [L] kid (ASCII)
///   [12] wrap nonce [32] wrapped DEK [16] wrap tag
///   [12] data nonce [n] ciphertext [16] data tag
/// </summary>
public sealed class SecretBox(KeyRing ring)
{
    private const byte Version = 1;
    private const int NonceSize = 12, TagSize = 16, DekSize = 32;
    private const int WrapSize = NonceSize + DekSize + TagSize;

    private byte[]? _fingerprintKey;

    public KeyRing Ring => ring;
    public bool IsAvailable => ring.IsAvailable;

    public static byte[] Aad(SecretContext c) =>
        Encoding.UTF8.GetBytes($"switchboard/v1|{c.AccountId}|{c.Table}|{c.RecordId}|{c.Field}");

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, SecretContext context)
    {
        if (!ring.IsAvailable) throw new EncryptionUnavailableException(ring.Problem!);
        var kid = ring.ActiveKeyId!;
        var aad = Aad(context);
        var dek = RandomNumberGenerator.GetBytes(DekSize);
        try
        {
            var kidBytes = Encoding.ASCII.GetBytes(kid);
            var output = new byte[2 + kidBytes.Length + WrapSize + NonceSize + plaintext.Length + TagSize];
            output[0] = Version;
            output[1] = (byte)kidBytes.Length;
            kidBytes.CopyTo(output, 2);
            var wrap = output.AsSpan(2 + kidBytes.Length, WrapSize);
            Wrap(ring.ActiveKey, dek, aad, wrap);
            var data = output.AsSpan(2 + kidBytes.Length + WrapSize);
            Seal(dek, plaintext, aad, data);
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    public byte[] EncryptString(string plaintext, SecretContext context) => Encrypt(Encoding.UTF8.GetBytes(plaintext), context);

    public byte[] Decrypt(ReadOnlySpan<byte> stored, SecretContext context)
    {
        if (!ring.IsAvailable) throw new EncryptionUnavailableException(ring.Problem!);
        var (kid, wrapStart) = Parse(stored);
        var wrap = stored.Slice(wrapStart, WrapSize);
        var data = stored[(wrapStart + WrapSize)..];
        if (!ring.TryGet(kid, out var kek)) throw new EncryptionUnavailableException($"key '{kid}' is not in the key ring");
        var aad = Aad(context);
        var dek = new byte[DekSize];
        try
        {
            Unwrap(kek, wrap, aad, dek);
            var plaintext = new byte[data.Length - NonceSize - TagSize];
            using var gcm = new AesGcm(dek, TagSize);
            gcm.Decrypt(data[..NonceSize], data.Slice(NonceSize, plaintext.Length), data[^TagSize..], plaintext, aad);
            return plaintext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    public string DecryptString(ReadOnlySpan<byte> stored, SecretContext context) => Encoding.UTF8.GetString(Decrypt(stored, context));

    /// <summary>Re-wraps the data key under the active KEK; the data ciphertext is unchanged.</summary>
    public byte[] Rewrap(ReadOnlySpan<byte> stored, SecretContext context)
    {
        if (!ring.IsAvailable) throw new EncryptionUnavailableException(ring.Problem!);
        var (kid, wrapStart) = Parse(stored);
        var wrap = stored.Slice(wrapStart, WrapSize);
        var data = stored[(wrapStart + WrapSize)..];
        if (kid == ring.ActiveKeyId) return stored.ToArray();
        if (!ring.TryGet(kid, out var oldKek)) throw new EncryptionUnavailableException($"key '{kid}' is not in the key ring");
        var aad = Aad(context);
        var dek = new byte[DekSize];
        try
        {
            Unwrap(oldKek, wrap, aad, dek);
            var kidBytes = Encoding.ASCII.GetBytes(ring.ActiveKeyId!);
            var output = new byte[2 + kidBytes.Length + WrapSize + data.Length];
            output[0] = Version;
            output[1] = (byte)kidBytes.Length;
            kidBytes.CopyTo(output, 2);
            Wrap(ring.ActiveKey, dek, aad, output.AsSpan(2 + kidBytes.Length, WrapSize));
            data.CopyTo(output.AsSpan(2 + kidBytes.Length + WrapSize));
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    public static string KeyIdOf(ReadOnlySpan<byte> stored) => Parse(stored).Kid;

    /// <summary>
    /// A short, non-reversible fingerprint so users can tell which secret is set without seeing it.
    /// Keyed (HMAC with a key derived from the active KEK) so low-entropy secrets cannot be guessed offline.
    /// </summary>
    public string Fingerprint(string value, SecretContext context)
    {
        if (!ring.IsAvailable) throw new EncryptionUnavailableException(ring.Problem!);
        // The ring never changes in a process, so the derived key is computed once.
        var key = _fingerprintKey ??= HKDF.DeriveKey(HashAlgorithmName.SHA256, ring.ActiveKey, 32, info: "switchboard fingerprint v1"u8.ToArray());
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{context.AccountId}|{context.Field}|{value}"));
        return "fp_" + Convert.ToHexStringLower(mac.AsSpan(0, 6));
    }

    /// <summary>Returns the key id and the offset of the wrapped DEK (the data part follows it).</summary>
    private static (string Kid, int WrapStart) Parse(ReadOnlySpan<byte> stored)
    {
        if (stored.Length < 2 || stored[0] != Version) throw new CryptographicException("unknown ciphertext format");
        int kidLength = stored[1];
        if (stored.Length < 2 + kidLength + WrapSize + NonceSize + TagSize) throw new CryptographicException("ciphertext is truncated");
        return (Encoding.ASCII.GetString(stored.Slice(2, kidLength)), 2 + kidLength);
    }

    private static void Wrap(byte[] kek, ReadOnlySpan<byte> dek, byte[] aad, Span<byte> output)
    {
        RandomNumberGenerator.Fill(output[..NonceSize]);
        using var gcm = new AesGcm(kek, TagSize);
        gcm.Encrypt(output[..NonceSize], dek, output.Slice(NonceSize, DekSize), output.Slice(NonceSize + DekSize, TagSize), aad);
    }

    private static void Unwrap(byte[] kek, ReadOnlySpan<byte> wrap, byte[] aad, Span<byte> dek)
    {
        using var gcm = new AesGcm(kek, TagSize);
        gcm.Decrypt(wrap[..NonceSize], wrap.Slice(NonceSize, DekSize), wrap.Slice(NonceSize + DekSize, TagSize), dek, aad);
    }

    private static void Seal(byte[] dek, ReadOnlySpan<byte> plaintext, byte[] aad, Span<byte> output)
    {
        RandomNumberGenerator.Fill(output[..NonceSize]);
        using var gcm = new AesGcm(dek, TagSize);
        gcm.Encrypt(output[..NonceSize], plaintext, output.Slice(NonceSize, plaintext.Length), output[^TagSize..], aad);
    }
}

/// <summary>What a ciphertext is bound to.</summary>
public readonly record struct SecretContext(string AccountId, string Table, string RecordId, string Field);
