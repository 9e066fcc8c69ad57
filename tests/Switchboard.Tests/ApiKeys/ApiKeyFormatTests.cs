using Switchboard.Tenancy;

namespace Switchboard.Tests.ApiKeys;

/// <summary>The key format is stored nowhere but in every key issued: it must not change under them.</summary>
public sealed class ApiKeyFormatTests
{
    /// <summary>Issued by the format's first implementation (its own CRC-32 table), before System.IO.Hashing took over.</summary>
    private const string IssuedBefore = "sk_live_7k2m9q4x1b8c3v6n0z5t_oiwDJxVIgKg2jNXgfGt66jZ2vxtZQKTd0P42Cg";

    [Fact]
    public void A_key_issued_before_still_validates_and_names_its_account()
    {
        Assert.True(ApiKeyFormat.TryParse(IssuedBefore, out var accountId));
        Assert.Equal("acc_7k2m9q4x1b8c3v6n0z5t", accountId);
    }

    [Theory]
    [InlineData("sk_live_7k2m9q4x1b8c3v6n0z5t_oiwDJxVIgKg2jNXgfGt66jZ2vxtZQKTd0P42Ch")] // checksum changed
    [InlineData("sk_live_7k2m9q4x1b8c3v6n0z5t_oiwDJxVIgKg2jNXgfGt66jZ2vxtZQKTe0P42Cg")] // a secret character mistyped
    [InlineData("sk_live_7k2m9q4x1b8c3v6n0z5u_oiwDJxVIgKg2jNXgfGt66jZ2vxtZQKTd0P42Cg")] // another account
    public void A_mistyped_key_is_refused_by_its_checksum(string key) => Assert.False(ApiKeyFormat.TryParse(key, out _));

    [Fact]
    public void A_new_key_validates()
    {
        var key = ApiKeyFormat.Generate("acc_0123456789abcdefghij");
        Assert.True(ApiKeyFormat.TryParse(key, out var accountId));
        Assert.Equal("acc_0123456789abcdefghij", accountId);
    }
}
