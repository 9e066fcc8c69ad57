using Microsoft.EntityFrameworkCore;
using Switchboard.Store;

namespace Switchboard.Sealing;

public sealed record RewrapReport(int Rewrapped, int Remaining);

/// <summary>
/// Re-encrypts stored secrets to the active key, a batch at a time. Each row is replaced by a
/// compare-and-set on its old key id, so the run can be interrupted at any point, run again,
/// or run on several nodes at once without losing a concurrent write.
/// </summary>
public static class Rewrapper
{
    public static async Task<RewrapReport> RunAsync(SwitchboardDb db, IStoreWriter writer, SecretBox box, int batchSize = 200, int? maxRows = null, CancellationToken ct = default)
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
            done += await writer.WriteAsync(async (tx, token) =>
            {
                var n = 0;
                foreach (var s in batch)
                {
                    var context = new SecretContext(s.AccountId, IntegrationSecret.Table, s.IntegrationId.ToString(), s.Name);
                    var rewrapped = box.Rewrap(s.Ciphertext, context);
                    n += await tx.Db.IntegrationSecrets
                        // Compare-and-set on the ciphertext itself: a concurrent re-install under the same key id must win.
                        .Where(x => x.Id == s.Id && x.AccountId == s.AccountId && x.Ciphertext == s.Ciphertext)
                        .ExecuteUpdateAsync(u => u.SetProperty(x => x.Ciphertext, rewrapped).SetProperty(x => x.KeyId, active), token);
                }
                return n;
            }, ct);
            after = batch[^1].Id;
        }
        if (maxRows is null || done < maxRows)
            done += await RewrapConnectionsAsync(db, writer, box, active, batchSize, maxRows is null ? null : maxRows - done, ct);
        var remaining = await db.IntegrationSecrets.CountAsync(s => s.KeyId != active, ct)
                        + await CountConnectionsOnOldKeysAsync(db, active, batchSize, ct);
        return new RewrapReport(done, remaining);
    }

    /// <summary>
    /// OAuth tokens carry their key id inside the ciphertext only, so every connection is read. A row being refreshed
    /// (leased) is skipped, and the write is a compare-and-set on Generation, which every token change bumps: the
    /// rewrap never overwrites a newer token, and it leaves Generation alone so refreshers are not disturbed.
    /// </summary>
    private static async Task<int> RewrapConnectionsAsync(SwitchboardDb db, IStoreWriter writer, SecretBox box, string active, int batchSize, int? maxRows, CancellationToken ct)
    {
        var done = 0;
        Guid? after = null;
        while (maxRows is null || done < maxRows)
        {
            var query = db.Set<OAuthConnection>().AsNoTracking().Where(c => c.AccessToken != null || c.RefreshToken != null);
            if (after is { } a) query = query.Where(c => c.Id.CompareTo(a) > 0);
            var batch = await query.OrderBy(c => c.Id)
                .Select(c => new { c.Id, c.AccountId, c.Generation, c.LeaseOwner, c.AccessToken, c.RefreshToken })
                .Take(batchSize).ToListAsync(ct);
            if (batch.Count == 0) break;
            foreach (var c in batch)
            {
                if (maxRows is not null && done >= maxRows) break;
                if (c.LeaseOwner is not null || !(OnOldKey(c.AccessToken, active) || OnOldKey(c.RefreshToken, active))) continue;
                var context = new SecretContextFor(c.AccountId, c.Id);
                var access = c.AccessToken is null ? null : box.Rewrap(c.AccessToken, context.Field("access_token"));
                var refresh = c.RefreshToken is null ? null : box.Rewrap(c.RefreshToken, context.Field("refresh_token"));
                done += await writer.WriteAsync((tx, token) => tx.Db.Set<OAuthConnection>()
                    .Where(x => x.Id == c.Id && x.AccountId == c.AccountId && x.Generation == c.Generation && x.LeaseOwner == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.AccessToken, access).SetProperty(x => x.RefreshToken, refresh), token), ct);
            }
            after = batch[^1].Id;
        }
        return done;
    }

    private static async Task<int> CountConnectionsOnOldKeysAsync(SwitchboardDb db, string active, int batchSize, CancellationToken ct)
    {
        var count = 0;
        Guid? after = null;
        while (true)
        {
            var query = db.Set<OAuthConnection>().AsNoTracking().Where(c => c.AccessToken != null || c.RefreshToken != null);
            if (after is { } a) query = query.Where(c => c.Id.CompareTo(a) > 0);
            var batch = await query.OrderBy(c => c.Id).Select(c => new { c.Id, c.AccessToken, c.RefreshToken }).Take(batchSize).ToListAsync(ct);
            if (batch.Count == 0) return count;
            count += batch.Count(c => OnOldKey(c.AccessToken, active) || OnOldKey(c.RefreshToken, active));
            after = batch[^1].Id;
        }
    }

    private static bool OnOldKey(byte[]? ciphertext, string active) => ciphertext is not null && SecretBox.KeyIdOf(ciphertext) != active;
}
