using Switchboard.Store;

namespace Switchboard.Sealing;

public sealed record RewrapReport(int Rewrapped, int Remaining);

/// <summary>
/// Re-encrypts every sealed column of the model (<see cref="SealedFields.All"/>) to the active key, a batch at a time,
/// each batch one write. Every row is replaced by a compare-and-set on its old ciphertexts, so the run can be
/// interrupted at any point, run again, or run on several nodes at once without losing a concurrent write.
/// </summary>
public static class Rewrapper
{
    public static async Task<RewrapReport> RunAsync(SwitchboardDb db, IStoreWriter writer, SecretBox box, int batchSize = 200, int? maxRows = null,
        CancellationToken ct = default)
    {
        if (!box.IsAvailable) throw new EncryptionUnavailableException(box.Ring.Problem!);
        var done = 0;
        foreach (var table in SealedFields.All)
        {
            if (maxRows is not null && done >= maxRows) break;
            done += await table.RewrapAsync(db, writer, box, batchSize, maxRows is null ? null : maxRows - done, ct);
        }
        var remaining = 0;
        foreach (var table in SealedFields.All) remaining += await table.CountOnOldKeysAsync(db, box.Ring.ActiveKeyId!, batchSize, ct);
        return new RewrapReport(done, remaining);
    }
}
