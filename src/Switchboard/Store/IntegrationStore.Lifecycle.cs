using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Http;
using Switchboard.Events;

namespace Switchboard.Store;

/// <summary>
/// A RogerIQ lifecycle PATCH, parsed: each field null when left out. Settings and action permissions are deep-merged
/// into what is stored (a null member removes a key); HasDisplayName with a null DisplayName resets it.
/// </summary>
public sealed record IntegrationEdit(string AccountId, string ProjectId, string Provider, AuditActor Actor, string? Status = null,
    bool HasDisplayName = false, string? DisplayName = null, bool? SidebarEnabled = null, JsonObject? Settings = null,
    JsonObject? ActionPermissions = null)
{
    public const int MaxSettingsBytes = 64 * 1024;
}

/// <summary>How a lifecycle write ended: the row as it now is, or why nothing was written.</summary>
public abstract record LifecycleOutcome
{
    public sealed record Changed(Integration Row) : LifecycleOutcome;
    public sealed record Refused(Transition Transition) : LifecycleOutcome;
    /// <summary>sidebar_enabled on a disconnected integration.</summary>
    public sealed record SidebarHidden(string Provider, string Status) : LifecycleOutcome;
    public sealed record SettingsTooLarge(int MaxBytes) : LifecycleOutcome;
}

public sealed partial class IntegrationStore
{
    /// <summary>
    /// Applies a PATCH: display name, sidebar, settings, permissions and a status change, with one audit event of
    /// the fields that changed (before and after), plus integration.disconnected when it was disconnected. An
    /// integration that is not installed, or a status the state machine refuses, changes nothing.
    /// </summary>
    public Task<LifecycleOutcome> EditAsync(IntegrationEdit edit, CancellationToken ct) =>
        OnFreshRowAsync(async (tx, lockRow, token) =>
        {
            var row = await FindAsync(tx, edit.AccountId, edit.ProjectId, edit.Provider, lockRow, token);
            var trigger = edit.Status is null ? LifecycleTrigger.Edit : IntegrationLifecycle.TriggerFor(edit.Status)!.Value;
            if (row is null) return new LifecycleOutcome.Refused(IntegrationLifecycle.Refused(edit.Provider, IntegrationStatus.Available, trigger));

            var before = LifecycleSnapshot.Of(row);
            if (edit.HasDisplayName) row.DisplayName = edit.DisplayName;
            if (edit.SidebarEnabled is { } sidebar) row.SidebarEnabled = sidebar;
            if (edit.Settings is not null)
            {
                var merged = JsonObjects.DeepMerge(JsonObjects.Parse(row.SettingsJson), edit.Settings).ToJsonString();
                if (Encoding.UTF8.GetByteCount(merged) > IntegrationEdit.MaxSettingsBytes)
                    return new LifecycleOutcome.SettingsTooLarge(IntegrationEdit.MaxSettingsBytes);
                row.SettingsJson = merged;
            }
            if (edit.ActionPermissions is not null)
                row.ActionPermissionsJson = JsonObjects.DeepMerge(JsonObjects.Parse(row.ActionPermissionsJson), edit.ActionPermissions).ToJsonString();

            var now = DateTime.UtcNow;
            var transition = IntegrationLifecycle.Apply(row, trigger, now);
            if (!transition.Allowed) return new LifecycleOutcome.Refused(transition);
            if (edit.SidebarEnabled == true && !IntegrationLifecycle.MayShowSidebar(row.Status))
                return new LifecycleOutcome.SidebarHidden(row.Provider, row.Status);

            await SaveIfChangedAsync(tx, edit.Actor, row, before, now, lifecycleEvent: true, token);
            return new LifecycleOutcome.Changed(row);
        }, ct);

    /// <summary>DELETE …/integrations/{provider}: disconnected, sidebar hidden, health cleared; tokens are not revoked.</summary>
    public Task<LifecycleOutcome> DisconnectAsync(string accountId, string projectId, string provider, AuditActor actor, CancellationToken ct) =>
        OnFreshRowAsync(async (tx, lockRow, token) =>
        {
            var row = await FindAsync(tx, accountId, projectId, provider, lockRow, token);
            if (row is null) return new LifecycleOutcome.Refused(IntegrationLifecycle.Refused(provider, IntegrationStatus.Available, LifecycleTrigger.Disconnect));
            var before = LifecycleSnapshot.Of(row);
            var now = DateTime.UtcNow;
            var transition = IntegrationLifecycle.Apply(row, LifecycleTrigger.Disconnect, now);
            if (!transition.Allowed) return new LifecycleOutcome.Refused(transition);
            await SaveIfChangedAsync(tx, actor, row, before, now, lifecycleEvent: false, token);
            return new LifecycleOutcome.Changed(row);
        }, ct);

    /// <summary>Tries of a lifecycle change that read its row without locking it, before it locks the row.</summary>
    public const int OptimisticLifecycleAttempts = 3;

    /// <summary>At most this many tries in all (a locked try on PostgreSQL cannot meet a concurrent write).</summary>
    public const int MaxLifecycleAttempts = 10;

    /// <summary>
    /// Runs a lifecycle change, and again on the fresh row when a concurrent write to the same row (another node, or a
    /// writer that does not lock it) committed between its read and its save: the Version check refuses the stale save
    /// and nothing of it is stored; the next try reads the row anew, so the settings merge and the state machine see
    /// what the other write left. The first tries don't lock the row, which costs nothing when nobody else writes it;
    /// after <see cref="OptimisticLifecycleAttempts"/> the row is read FOR UPDATE, so a change on a row that many write
    /// at once waits its turn instead of losing every race (on SQLite the one writer already holds the database). A
    /// client hears 409 only for a real conflict of intent (invalid_transition), or concurrent_modification when the
    /// row changed under it <see cref="MaxLifecycleAttempts"/> times in a row.
    /// </summary>
    private async Task<LifecycleOutcome> OnFreshRowAsync(Func<StoreTransaction, bool, CancellationToken, Task<LifecycleOutcome>> change,
        CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lockRow = attempt > OptimisticLifecycleAttempts;
            try
            {
                return await writer.WriteAsync((tx, token) => change(tx, lockRow, token), ct);
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxLifecycleAttempts && !ct.IsCancellationRequested)
            {
                // A short, growing, jittered pause, so two writers that keep colliding drift apart.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), ct);
            }
        }
    }

    private static async Task<Integration?> FindAsync(StoreTransaction tx, string accountId, string projectId, string provider, bool lockRow,
        CancellationToken ct)
    {
        if (lockRow && !tx.Sql.IsSqlite)
        {
            // Held until this write commits: a concurrent UPDATE of the row waits for it, and the read below (a new
            // statement, so a new snapshot under READ COMMITTED) sees every write committed before the lock was granted.
            string C(string p) => tx.Sql.Column<Integration>(p);
            var lockIt = $"SELECT 1 FROM {tx.Sql.Table<Integration>()} WHERE {C(nameof(Integration.AccountId))} = {{0}} " +
                $"AND {C(nameof(Integration.ProjectId))} = {{1}} AND {C(nameof(Integration.Provider))} = {{2}} FOR UPDATE";
            await tx.Db.Database.ExecuteSqlRawAsync(lockIt, [accountId, projectId, provider], ct);
        }
        return await tx.Db.Integrations.FirstOrDefaultAsync(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == provider, ct);
    }

    /// <summary>One save for the change and its audit events; nothing is written when no field changed.</summary>
    private async Task SaveIfChangedAsync(StoreTransaction tx, AuditActor actor, Integration row, LifecycleSnapshot before, DateTime now,
        bool lifecycleEvent, CancellationToken ct)
    {
        var after = LifecycleSnapshot.Of(row);
        if (before.Equals(after)) return;
        row.UpdatedAt = now;
        row.Version++;
        var target = row.Id.ToString();
        if (lifecycleEvent)
            AuditLog.Record(tx.Db, actor, row.AccountId, "integration.lifecycle.updated", row.ProjectId, row.Provider, target,
                LifecycleSnapshot.Diff(before, after));
        var data = new EventData(row.AccountId, row.ProjectId)
            { IntegrationId = target, Provider = row.Provider, Status = after.Status, PreviousStatus = before.Status };
        if (lifecycleEvent) EventOutbox.Add(tx, new(EventTypes.IntegrationLifecycleUpdated, data));
        if (before.Status != IntegrationStatus.Disconnected && after.Status == IntegrationStatus.Disconnected)
        {
            AuditLog.Record(tx.Db, actor, row.AccountId, "integration.disconnected", row.ProjectId, row.Provider, target,
                new { Before = new { before.Status, before.SidebarEnabled, before.HealthStatus }, After = new { after.Status, after.SidebarEnabled, after.HealthStatus } });
            EventOutbox.Add(tx, new(EventTypes.IntegrationDisconnected, data));
        }
        // A concurrent write to the same row fails the Version check (DbUpdateConcurrencyException): OnFreshRowAsync tries again.
        await tx.Db.SaveChangesAsync(ct);
        changes.Changed(tx, row.AccountId);
    }
}

/// <summary>The non-secret fields a lifecycle change may touch, for equality and the audit before/after.</summary>
internal sealed record LifecycleSnapshot(string Status, string? DisplayName, bool SidebarEnabled, string? HealthStatus, string? ErrorMessage,
    string SettingsJson, string ActionPermissionsJson)
{
    public static LifecycleSnapshot Of(Integration r) =>
        new(r.Status, r.DisplayName, r.SidebarEnabled, r.HealthStatus, r.ErrorMessage, r.SettingsJson, r.ActionPermissionsJson);

    /// <summary>Only the fields that changed, each with its value before and after.</summary>
    public static object Diff(LifecycleSnapshot a, LifecycleSnapshot b)
    {
        var before = new JsonObject();
        var after = new JsonObject();
        void Add(string name, JsonNode? x, JsonNode? y)
        {
            if (JsonNode.DeepEquals(x, y)) return;
            before[name] = x;
            after[name] = y;
        }
        Add("status", a.Status, b.Status);
        Add("display_name", a.DisplayName, b.DisplayName);
        Add("sidebar_enabled", a.SidebarEnabled, b.SidebarEnabled);
        Add("health_status", a.HealthStatus, b.HealthStatus);
        Add("error_message", a.ErrorMessage, b.ErrorMessage);
        Add("settings", JsonNode.Parse(a.SettingsJson), JsonNode.Parse(b.SettingsJson));
        Add("action_permissions", JsonNode.Parse(a.ActionPermissionsJson), JsonNode.Parse(b.ActionPermissionsJson));
        return new JsonObject { ["before"] = before, ["after"] = after };
    }
}
