using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Telemetry;

namespace Switchboard.Store;

/// <summary>
/// Every write to an integration (its row and its secrets): install, uninstall, lifecycle edits and disconnects
/// (IntegrationStore.Lifecycle.cs), credential-health results (IntegrationStore.Health.cs), and the rows a deleted
/// project takes with it. Each write goes through the <see cref="IStoreWriter"/>, records its audit event in the same
/// transaction, keeps the tenant (account, project) in every predicate, and tells <see cref="AccountChanges"/>.
/// </summary>
public sealed partial class IntegrationStore(IStoreWriter writer, AccountChanges changes)
{
    /// <summary>How long a row whose unlocked install lost a race is installed under the lock at once.</summary>
    private const long ContendedMs = 1000;
    private const int MaxContended = 4096;

    /// <summary>Per node: integrations whose unlocked install was refused lately (id → Environment.TickCount64).</summary>
    private readonly ConcurrentDictionary<Guid, long> _contended = new();

    private const int MaxKnown = 1024;

    /// <summary>
    /// PostgreSQL, per node: each integration as this node's last install of it left it, which the next unlocked install
    /// uses instead of reading (one round trip instead of two). Only as good as the write's Version check: a row changed
    /// since (on any node, by any write that changes what an install reads, each of which moves the Version) refuses the
    /// write, and the install reads and tries again. Bounded; a full table starts over. SQLite reads in the writer's
    /// transaction, in process, so it keeps none.
    /// </summary>
    private readonly ConcurrentDictionary<Guid, Integration> _known = new();
    private int _kept;

    /// <summary>Installs in a write of its own (shared with concurrent installs on SQLite); returns once it is durable.</summary>
    public async Task<InstallOutcome> InstallAsync(InstallCommand command, CancellationToken ct)
    {
        // First without a lock in one command (PostgreSQL: one round trip with this node's copy of the row, two with a read;
        // no BEGIN/COMMIT). A retry takes the row lock,
        // so installs racing on one row queue on it instead of refusing each other; a row that was raced on in the last
        // second takes the lock at once. bench/run.sh --db postgres, one hot row at -c16, runs minutes apart on a busy
        // machine: 256 and 207 req/s when every install paid a refused try first, 267 with this.
        var unlocked = !(_contended.TryGetValue(command.IntegrationId, out var since) && Environment.TickCount64 - since < ContendedMs);
        for (var attempt = 1; ; attempt++)
        {
            var oneCommand = attempt == 1 && unlocked;
            // Taken out, not looked at: a failed try leaves no copy behind, and concurrent installs here do not share one.
            Integration? known = null;
            if (oneCommand && _known.TryRemove(command.IntegrationId, out var copy)
                && copy.AccountId == command.AccountId && copy.ProjectId == command.ProjectId && copy.Provider == command.Provider)
                known = copy; // the tenant of every statement still comes from the command, never from a copy
            Task<(InstallOutcome, Integration?)> Work(StoreTransaction tx, CancellationToken token)
            {
                changes.Changed(tx, command.AccountId);
                return InstallWrite.RunAsync(tx, command, tx.CommitsWithCommand ? known : null, token);
            }
            try
            {
                var (outcome, written) = await (oneCommand ? writer.WriteInOneCommandAsync(Work, ct) : writer.WriteAsync(Work, ct));
                if (written is not null)
                {
                    // Count takes every lock of the dictionary: looked at once per 64 copies kept, not per install.
                    if ((Interlocked.Increment(ref _kept) & 63) == 0 && _known.Count >= MaxKnown) _known.Clear();
                    _known[command.IntegrationId] = written;
                }
                if (outcome.Row is not null) SwitchboardMetrics.Installs.Add(1);
                return outcome;
            }
            // Only ever on the first try (the only one given a copy); a cancelled request ends at the next try's read.
            catch (InstallWrite.StaleCopyException)
            {
            }
            // PostgreSQL: two first installs of one provider race on the unique (account, project, provider) index, and the
            // loser finds the winner's row on its next try. (SQLite has one writer and reads inside the write transaction.)
            catch (DbException e) when (attempt < 3 && DatabaseErrors.IsUniqueViolation(e) && !ct.IsCancellationRequested)
            {
                if (oneCommand) MarkContended(command.IntegrationId);
            }
            // The Version check found a write based on a stale read: expected for the unlocked first try when another
            // install of the row committed meanwhile; not expected while the read locks the row (kept as a net).
            catch (DbUpdateConcurrencyException) when (attempt < 3 && !ct.IsCancellationRequested)
            {
                // A copy may just be old (another node wrote since); only a refused read counts as a race on the row.
                if (oneCommand && known is null) MarkContended(command.IntegrationId);
            }
        }
    }

    private void MarkContended(Guid integrationId)
    {
        // Bounded: a flood of raced rows only makes more of them try unlocked first again.
        if (_contended.Count >= MaxContended) _contended.Clear();
        _contended[integrationId] = Environment.TickCount64;
    }

    /// <summary>Installs inside a caller's write (the hosted page uses up its link in the same transaction).</summary>
    public Task<InstallOutcome> InstallAsync(StoreTransaction tx, InstallCommand command, CancellationToken ct)
    {
        changes.Changed(tx, command.AccountId);
        return InstallWrite.RunAsync(tx, command, ct);
    }

    /// <summary>Back to "available", installed_at cleared, params and secrets kept; nothing happens to an uninstalled one.</summary>
    public Task UninstallAsync(string accountId, string projectId, string provider, AuditActor actor, CancellationToken ct) =>
        writer.WriteAsync(async (tx, token) =>
        {
            var row = await tx.Db.Integrations
                .FirstOrDefaultAsync(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == provider, token);
            if (row is null || row.Status == IntegrationStatus.Available) return;
            var before = row.Status;
            var now = DateTime.UtcNow;
            // Every state may be uninstalled.
            IntegrationLifecycle.Apply(row, LifecycleTrigger.Uninstall, now);
            row.UpdatedAt = now;
            row.Version++;
            AuditLog.Record(tx.Db, actor, accountId, "integration.uninstalled", projectId, provider, row.Id.ToString(),
                new { Before = new { Status = before }, After = new { Status = row.Status } });
            await tx.Db.SaveChangesAsync(token);
            changes.Changed(tx, accountId);
        }, ct);

    /// <summary>Deletes a project's uninstalled (available) rows and their kept secrets, inside the caller's write.</summary>
    public async Task<int> DeleteUninstalledAsync(StoreTransaction tx, string accountId, string projectId, CancellationToken ct)
    {
        changes.Changed(tx, accountId);
        return await tx.Db.Integrations
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId && i.Status == IntegrationStatus.Available)
            .ExecuteDeleteAsync(ct);
    }
}
