using System.Security.Cryptography;
using Switchboard.Sealing;

namespace Switchboard.Tests.Crypto;

public sealed class SecretBoxTests
{
    private static readonly SecretContext Ctx = new("acc_a", "integration_secrets", "rec-1", "api_key");

    private static SecretBox Box(params (string Id, byte[] Key)[] keys) =>
        new(KeyRing.Create(keys.ToDictionary(k => k.Id, k => k.Key), keys[^1].Id));

    [Fact]
    public void Round_trips_and_records_version_and_key_id()
    {
        var box = Box(("k1", RandomNumberGenerator.GetBytes(32)));
        var stored = box.EncryptString("sk_live_secret", Ctx);
        Assert.Equal(1, stored[0]);
        Assert.Equal("k1", SecretBox.KeyIdOf(stored));
        Assert.Equal("sk_live_secret", box.DecryptString(stored, Ctx));
    }

    [Fact]
    public void Same_plaintext_gives_different_ciphertexts()
    {
        var box = Box(("k1", RandomNumberGenerator.GetBytes(32)));
        Assert.NotEqual(Convert.ToHexString(box.EncryptString("x", Ctx)), Convert.ToHexString(box.EncryptString("x", Ctx)));
    }

    [Theory]
    [InlineData("acc_b", "integration_secrets", "rec-1", "api_key")]
    [InlineData("acc_a", "integration_secrets", "rec-2", "api_key")]
    [InlineData("acc_a", "integration_secrets", "rec-1", "webhook_secret")]
    [InlineData("acc_a", "oauth_tokens", "rec-1", "api_key")]
    public void A_ciphertext_does_not_open_under_another_account_record_or_field(string account, string table, string record, string field)
    {
        var box = Box(("k1", RandomNumberGenerator.GetBytes(32)));
        var stored = box.EncryptString("sk_live_secret", Ctx);
        Assert.ThrowsAny<CryptographicException>(() => box.Decrypt(stored, new SecretContext(account, table, record, field)));
    }

    [Fact]
    public void Any_flipped_byte_is_detected()
    {
        var box = Box(("k1", RandomNumberGenerator.GetBytes(32)));
        var stored = box.EncryptString("sk_live_secret", Ctx);
        for (var i = 2 + 2; i < stored.Length; i++)
        {
            var tampered = (byte[])stored.Clone();
            tampered[i] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => box.Decrypt(tampered, Ctx));
        }
    }

    [Fact]
    public void Rewrap_moves_to_the_active_key_and_old_keys_keep_decrypting()
    {
        var k1 = RandomNumberGenerator.GetBytes(32);
        var k2 = RandomNumberGenerator.GetBytes(32);
        var old = Box(("k1", k1)).EncryptString("v", Ctx);
        var both = Box(("k1", k1), ("k2", k2));
        Assert.Equal("v", both.DecryptString(old, Ctx));
        var rewrapped = both.Rewrap(old, Ctx);
        Assert.Equal("k2", SecretBox.KeyIdOf(rewrapped));
        Assert.Equal("v", Box(("k2", k2)).DecryptString(rewrapped, Ctx));
        Assert.Throws<EncryptionUnavailableException>(() => Box(("k1", k1)).Decrypt(rewrapped, Ctx));
    }

    [Fact]
    public void Keys_of_the_wrong_length_leave_encryption_unavailable_without_leaking_them()
    {
        var shortKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var ring = KeyRing.FromInline($"k1:{shortKey}", null);
        Assert.False(ring.IsAvailable);
        Assert.Contains("32", ring.Problem);
        Assert.DoesNotContain(shortKey, ring.Problem);
        Assert.Throws<EncryptionUnavailableException>(() => new SecretBox(ring).EncryptString("x", Ctx));
        Assert.False(KeyRing.FromInline("k1:not-base64!", null).IsAvailable);
    }

    [Fact]
    public void A_missing_key_file_is_created_only_when_allowed_and_readable_by_the_owner_only()
    {
        var dir = Directory.CreateTempSubdirectory("sb-keys-");
        var path = Path.Combine(dir.FullName, "nested", "keys.json");
        var logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var refused = KeyRingLoader.Load(new Switchboard.CryptoOptions { KeyFile = path }, allowCreate: false, logger);
        Assert.False(refused.IsAvailable);
        Assert.False(File.Exists(path));

        var created = KeyRingLoader.Load(new Switchboard.CryptoOptions { KeyFile = path }, allowCreate: true, logger);
        Assert.True(created.IsAvailable);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var again = KeyRingLoader.Load(new Switchboard.CryptoOptions { KeyFile = path }, allowCreate: true, logger);
        Assert.Equal(created.ActiveKeyId, again.ActiveKeyId);

        var newId = KeyRing.AddKeyToFile(path);
        var rotated = KeyRing.FromFile(path);
        Assert.Equal(newId, rotated.ActiveKeyId);
        Assert.Equal(2, rotated.KeyIds.Count);
        dir.Delete(recursive: true);
    }
}
