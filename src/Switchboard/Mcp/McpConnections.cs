using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Http.Outbound;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Mcp;

public abstract record ConnectionWrite
{
    public sealed record Done(McpConnection Connection) : ConnectionWrite;
    public sealed record Invalid(IReadOnlyList<FieldError> Errors) : ConnectionWrite;
    /// <summary>The name is another connection's of the project, or a provider's of the catalog (native tools use it).</summary>
    public sealed record NameTaken(string Name, bool IsProvider) : ConnectionWrite;
    public sealed record TooMany(int Max) : ConnectionWrite;
    public sealed record NotFound : ConnectionWrite;
}

/// <summary>A check's result: the stored row afterwards, and the host the outbound guard refused, if it did.</summary>
public sealed record CheckResult(McpConnection Connection, string? BlockedHost);

/// <summary>
/// The project's MCP connections: every write through the store writer with its audit event, header values sealed
/// (<see cref="SealedFields.McpHeaders"/>), and the check that connects, lists the server's tools and records them.
/// Every query has the account and the project in its predicate.
/// </summary>
public sealed class McpConnections(
    IStoreWriter writer, SecretBox box, AccountCatalog catalog, OutboundPolicy policy, RemoteMcpServer remote, IOptions<McpOptions> options)
{
    public static IQueryable<McpConnection> OfProject(SwitchboardDb db, Tenant tenant)
    {
        var (accountId, projectId) = (tenant.AccountId, tenant.ProjectId);
        return db.Set<McpConnection>().Where(c => c.AccountId == accountId && c.ProjectId == projectId);
    }

    public static Task<McpConnection?> FindAsync(SwitchboardDb db, Tenant tenant, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var guid)
            ? OfProject(db, tenant).AsNoTracking().FirstOrDefaultAsync(c => c.Id == guid, ct)
            : Task.FromResult<McpConnection?>(null);

    public async Task<ConnectionWrite> CreateAsync(Tenant tenant, SwitchboardDb db, CreateMcpConnectionRequest body, CancellationToken ct)
    {
        if (policy.CheckUrl("url", body.Url) is { } urlError) return new ConnectionWrite.Invalid([urlError]);
        if (await NameTakenAsync(tenant, db, body.Name, null, ct) is { } taken) return taken;
        var max = options.Value.MaxConnectionsPerProject;
        if (await OfProject(db, tenant).CountAsync(ct) >= max) return new ConnectionWrite.TooMany(max);

        var now = DateTime.UtcNow;
        var row = new McpConnection
        {
            Id = Guid.CreateVersion7(), AccountId = tenant.AccountId, ProjectId = tenant.ProjectId, Name = body.Name, Url = body.Url,
            Transport = body.Transport, Enabled = body.Enabled, CheckDueAt = now, CreatedAt = now, UpdatedAt = now,
        };
        Seal(row, body.Headers);
        try
        {
            await writer.WriteAsync(async (tx, token) =>
            {
                tx.Db.Add(row);
                AuditLog.Record(tx.Db, tenant.Actor, row.AccountId, "mcp.connection.created", row.ProjectId, targetId: row.Id.ToString(),
                    data: new { row.Name, row.Url, row.Enabled, Headers = McpConnectionRows.Fingerprints(row) });
                await tx.Db.SaveChangesAsync(token);
            }, ct);
        }
        catch (DbUpdateException e) when (e.InnerException is DbException d && DatabaseErrors.IsUniqueViolation(d))
        {
            return new ConnectionWrite.NameTaken(body.Name, IsProvider: false);
        }
        return new ConnectionWrite.Done(row);
    }

    public async Task<ConnectionWrite> UpdateAsync(Tenant tenant, SwitchboardDb db, string id, UpdateMcpConnectionRequest body, CancellationToken ct)
    {
        var current = await FindAsync(db, tenant, id, ct);
        if (current is null) return new ConnectionWrite.NotFound();
        if (body.Url is not null && policy.CheckUrl("url", body.Url) is { } urlError) return new ConnectionWrite.Invalid([urlError]);
        if (body.Name is not null && body.Name != current.Name && await NameTakenAsync(tenant, db, body.Name, current.Id, ct) is { } taken) return taken;

        var (accountId, projectId, guid) = (tenant.AccountId, tenant.ProjectId, current.Id);
        try
        {
            var updated = await writer.WriteAsync(async (tx, token) =>
            {
                var row = await tx.Db.Set<McpConnection>().FirstOrDefaultAsync(c => c.AccountId == accountId && c.ProjectId == projectId && c.Id == guid, token);
                if (row is null) return null;
                var before = new { row.Name, row.Url, row.Enabled, Headers = McpConnectionRows.Fingerprints(row) };
                var reconnect = (body.Url is not null && body.Url != row.Url) || body.HeadersGiven || (body.Enabled == true && !row.Enabled);
                if (body.Name is not null) row.Name = body.Name;
                if (body.Url is not null) row.Url = body.Url;
                if (body.Enabled is { } enabled) row.Enabled = enabled;
                if (body.HeadersGiven) Seal(row, body.Headers);
                if (reconnect)
                {
                    // What was learnt about the old destination says nothing about the new one.
                    row.Status = McpConnectionStatus.Pending;
                    row.ErrorMessage = null;
                    row.ToolsJson = "[]";
                    row.ToolsCount = 0;
                    row.CheckDueAt = DateTime.UtcNow;
                }
                row.UpdatedAt = DateTime.UtcNow;
                AuditLog.Record(tx.Db, tenant.Actor, accountId, "mcp.connection.updated", projectId, targetId: row.Id.ToString(),
                    data: new { Before = before, After = new { row.Name, row.Url, row.Enabled, Headers = McpConnectionRows.Fingerprints(row) } });
                await tx.Db.SaveChangesAsync(token);
                return row;
            }, ct);
            return updated is null ? new ConnectionWrite.NotFound() : new ConnectionWrite.Done(updated);
        }
        catch (DbUpdateException e) when (e.InnerException is DbException d && DatabaseErrors.IsUniqueViolation(d))
        {
            return new ConnectionWrite.NameTaken(body.Name!, IsProvider: false);
        }
    }

    public async Task<bool> DeleteAsync(Tenant tenant, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var guid)) return false;
        var (accountId, projectId) = (tenant.AccountId, tenant.ProjectId);
        return await writer.WriteAsync(async (tx, token) =>
        {
            var row = await tx.Db.Set<McpConnection>().FirstOrDefaultAsync(c => c.AccountId == accountId && c.ProjectId == projectId && c.Id == guid, token);
            if (row is null) return false;
            tx.Db.Remove(row);
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "mcp.connection.deleted", projectId, targetId: row.Id.ToString(), data: new { row.Name, row.Url });
            await tx.Db.SaveChangesAsync(token);
            return true;
        }, ct);
    }

    /// <summary>The header values, opened (a request of this connection needs them; nothing else does).</summary>
    public IReadOnlyDictionary<string, string> OpenHeaders(McpConnection c) =>
        c.HeadersCiphertext is null
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(SealedFields.McpHeaders.Open(box, c)) ?? [];

    /// <summary>
    /// Connects, lists the server's tools and records the outcome on the row — unless the row's URL changed meanwhile
    /// (then the result is about a destination the connection no longer has, and is dropped). A periodic check passes
    /// <paramref name="claimed"/> false: its claim has already moved the due time, and moving it again from this node's
    /// clock could make it due once more for a node that scans after this check ends.
    /// </summary>
    public async Task<CheckResult> CheckAsync(McpConnection c, AuditActor actor, CancellationToken ct, bool claimed = false)
    {
        var outcome = await remote.ListToolsAsync(c.Url, OpenHeaders(c), ct);
        var now = DateTime.UtcNow;
        var (status, error, tools, blocked) = outcome switch
        {
            RemoteOutcome.Listed l => (McpConnectionStatus.Connected, (string?)null, l.Tools, (string?)null),
            RemoteOutcome.Blocked b => (McpConnectionStatus.Error,
                $"Outbound request to '{Problems.Truncate(b.Host, 100)}' refused: it is not an allowed destination (Switchboard:Outbound:AllowedNetworks).", null, b.Host),
            RemoteOutcome.Failed f => (McpConnectionStatus.Error, f.Message, null, null),
            _ => (McpConnectionStatus.Error, "The MCP server could not be used.", null, null),
        };
        var (accountId, id, url) = (c.AccountId, c.Id, c.Url);
        var next = now + Max(options.Value.CheckInterval, TimeSpan.FromSeconds(1));
        var stored = await writer.WriteAsync(async (tx, token) =>
        {
            var row = await tx.Db.Set<McpConnection>().FirstOrDefaultAsync(r => r.AccountId == accountId && r.Id == id && r.Url == url, token);
            if (row is null) return null;
            var before = row.Status;
            row.Status = status;
            row.ErrorMessage = error is null ? null : Problems.Truncate(error, 1000);
            row.LastCheckedAt = now;
            if (!claimed) row.CheckDueAt = next;
            // A failed check keeps the tools last listed: a short outage should not change what an agent sees.
            if (tools is not null)
            {
                row.ToolsJson = McpConnectionRows.ToolsJson(tools);
                row.ToolsCount = tools.Count;
            }
            if (actor != AuditActor.System || before != status)
                AuditLog.Record(tx.Db, actor, accountId, "mcp.connection.checked", row.ProjectId, targetId: row.Id.ToString(),
                    data: new { row.Name, Status = status, Before = before, row.ToolsCount });
            if (blocked is not null)
                AuditLog.OutboundBlocked(tx.Db, actor, accountId, row.ProjectId, null, row.Id.ToString(), "mcp.connect", blocked);
            await tx.Db.SaveChangesAsync(token);
            return row;
        }, ct);
        return new CheckResult(stored ?? c, blocked);
    }

    /// <summary>The periodic check of one connection is claimed by moving its due time ahead (compare-and-set): one node runs it.</summary>
    public Task<bool> ClaimCheckAsync(string accountId, Guid id, DateTime? seenDueAt, DateTime next, CancellationToken ct) =>
        writer.WriteAsync(async (tx, token) => await tx.Db.Set<McpConnection>()
            .Where(c => c.AccountId == accountId && c.Id == id && c.Enabled && c.CheckDueAt == seenDueAt)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.CheckDueAt, next), token) == 1, ct);

    private async Task<ConnectionWrite.NameTaken?> NameTakenAsync(Tenant tenant, SwitchboardDb db, string name, Guid? except, CancellationToken ct)
    {
        // Native tools are served as provider__action: a connection named like a provider would share their names.
        if (await catalog.FindAsync(db, tenant.AccountId, name, ct) is not null) return new ConnectionWrite.NameTaken(name, IsProvider: true);
        if (await OfProject(db, tenant).AnyAsync(c => c.Name == name && c.Id != except, ct)) return new ConnectionWrite.NameTaken(name, IsProvider: false);
        return null;
    }

    private void Seal(McpConnection row, IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            row.HeadersCiphertext = null;
            row.HeaderFingerprintsJson = "{}";
            return;
        }
        row.HeadersCiphertext = SealedFields.McpHeaders.Seal(box, row, JsonSerializer.Serialize(headers));
        var aad = SealedFields.McpHeadersAad(row.AccountId, row.Id);
        row.HeaderFingerprintsJson = JsonSerializer.Serialize(headers.ToDictionary(h => h.Key, h => box.Fingerprint(h.Value, aad with { Field = "headers." + h.Key })));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
