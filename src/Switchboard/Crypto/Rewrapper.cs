using Microsoft.EntityFrameworkCore;
using Switchboard.Data;

namespace Switchboard.Crypto;

public sealed record RewrapReport(int Rewrapped, int Remaining);

/// <summary>
/// Re-encrypts stored secrets to the active key, a batch at a time. Each row is replaced by a
/// compare-and-set on its old key id, so the run can be interrupted at any point, run again,
/// or run on several nodes at once without losing a concurrent write.
/// </summary>
public static class Rewrapper
{
    public static async Task<RewrapReport> RunAsync(SwitchboardDb db, SecretBox box, int batchSize = 200, int? maxRows = null, CancellationToken ct = default)
    {
        if (!box.IsAvailable) throw new EncryptionUnavailableException(box.Ring.Problem!);
        var active = box.Ring.ActiveKeyId!;
        var done = 0;
        Guid? after = null;
        while (maxRows is null || done < maxRows)
        {
            var take = maxRows is null ? batchSize : Math.Min(batchSize, maxRows.Value - done);
            var query = db.IntegrationSecrets.AsNoTracking().Where(s => s.KeyId != active);
            if (after is { } a) query = query.Where(s => s.Id.CompareTo(a) > 0);
            var batch = await query.OrderBy(s => s.Id)
                .Select(s => new { s.Id, s.AccountId, s.IntegrationId, s.Name, s.KeyId, s.Ciphertext })
                .Take(take).ToListAsync(ct);
            if (batch.Count == 0) break;
            foreach (var s in batch)
            {
                var context = new SecretContext(s.AccountId, "integration_secrets", s.IntegrationId.ToString(), s.Name);
                var rewrapped = box.Rewrap(s.Ciphertext, context);
                done += await db.IntegrationSecrets
                    .Where(x => x.Id == s.Id && x.AccountId == s.AccountId && x.KeyId == s.KeyId)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.Ciphertext, rewrapped).SetProperty(x => x.KeyId, active), ct);
            }
            after = batch[^1].Id;
        }
        var remaining = await db.IntegrationSecrets.CountAsync(s => s.KeyId != active, ct);
        return new RewrapReport(done, remaining);
    }
}
