using Microsoft.EntityFrameworkCore;
using Switchboard.Sealing;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crypto;

/// <summary>The registry of sealed columns is the whole list: a ciphertext column missing from it would never be re-wrapped.</summary>
public sealed class SealedFieldsTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    /// <summary>Binary columns that hold no secret: hashes, and stored responses (a route whose response has a secret refuses Idempotency-Key).</summary>
    private static readonly string[] NotSecret = ["ApiKey.Hash", "IdempotencyRecord.RequestHash", "IdempotencyRecord.ResponseBody"];

    [Fact]
    public async Task Every_binary_column_of_the_model_is_a_registered_sealed_field_or_known_not_to_be_secret()
    {
        var binary = await app.WithDbAsync(db => Task.FromResult(db.Model.GetEntityTypes()
            .SelectMany(e => e.GetProperties().Where(p => p.ClrType == typeof(byte[])).Select(p => $"{e.ClrType.Name}.{p.Name}"))
            .Order(StringComparer.Ordinal).ToList()));
        var sealedColumns = SealedFields.All.SelectMany(t => t.Properties.Select(p => $"{t.Entity.Name}.{p}")).ToList();

        Assert.Equal(binary, sealedColumns.Concat(NotSecret).Order(StringComparer.Ordinal));
        Assert.Contains("OAuthSession.CodeVerifier", sealedColumns);
        // The AAD's table part is the table the entity is mapped to, as declared with the entity.
        var tables = await app.WithDbAsync(db => Task.FromResult(SealedFields.All.ToDictionary(t => t.Table, t => db.Model.FindEntityType(t.Entity)!.GetTableName())));
        Assert.All(tables, t => Assert.Equal(t.Key, t.Value));
    }
}
