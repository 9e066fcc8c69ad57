using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Events;
using Switchboard.Http;
using Switchboard.Telemetry;

namespace Switchboard.Store;

/// <summary>
/// The install's write: params in plaintext, secrets as sealed, the integration active, its audit event, in the
/// caller's transaction. The hottest write of the service, so it is plain SQL spelled from the EF model
/// (<see cref="ModelSql"/>): one read, then one multi-statement write, its commands kept prepared on the SQLite writer's
/// connection (<see cref="ReusableCommands"/>).
/// </summary>
internal static class InstallWrite
{
    /// <summary>Writes the install inside <paramref name="tx"/>; nothing is durable until the writer commits.</summary>
    public static async Task<InstallOutcome> RunAsync(StoreTransaction tx, InstallCommand command, CancellationToken ct) =>
        (await RunAsync(tx, command, known: null, ct)).Outcome;

    /// <summary>
    /// As above; in a one-command write, <paramref name="known"/> (this node's copy of the row as its last install here
    /// left it) stands in for the read, so the install is one round trip. The copy is only trusted as far as the write's
    /// Version check: if the row changed since, the command raises and nothing is written. Also returns (PostgreSQL) the
    /// row as written, with its secrets' ids, for the caller to keep as the next install's copy.
    /// </summary>
    public static async Task<(InstallOutcome Outcome, Integration? Written)> RunAsync(StoreTransaction tx, InstallCommand command,
        Integration? known, CancellationToken ct)
    {
        var (sql, connection, transaction) = (tx.Sql, tx.Connection, tx.Transaction);
        if (known is not null && !tx.CommitsWithCommand) throw new InvalidOperationException("A kept copy of the row stands in for the read only in a one-command write.");
        var stored = known is not null ? Copy(known) : await ReadAsync(sql, connection, transaction, command, locked: !tx.CommitsWithCommand, ct);
        var finalParams = command.Params ?? (stored is null ? [] : JsonNode.Parse(stored.ParamsJson) as JsonObject ?? []);
        var finalSecretNames = command.Secrets?.Select(s => s.Name) ?? stored?.Secrets.Select(s => s.Name) ?? [];
        var missing = command.Required.Missing(finalParams, finalSecretNames).ToList();
        // A refusal must come from the stored row, not from a copy that may be out of date: the caller reads and tries again.
        if (missing.Count > 0 && known is not null) throw new StaleCopyException();
        if (missing.Count > 0) return (new InstallOutcome(null, missing), null);
        if (stored is not null && stored.Id != command.IntegrationId)
            throw new InvalidOperationException("The stored integration's id is not the one its secrets were sealed to.");

        var now = DateTime.UtcNow;
        var row = stored ?? new Integration
        {
            Id = command.IntegrationId,
            AccountId = command.AccountId,
            ProjectId = command.ProjectId,
            Provider = command.Provider,
            CreatedAt = now,
        };
        var readVersion = row.Version;
        var before = row.Status;
        // Install is a valid transition from every state (see IntegrationLifecycle).
        if (!IntegrationLifecycle.Apply(row, LifecycleTrigger.Install, now).Allowed)
            throw new InvalidOperationException($"install refused from '{before}'");
        row.ParamsJson = finalParams.ToJsonString();
        row.UpdatedAt = now;
        row.Version++;
        var setBaseUrl = command.SetsBaseUrl;
        if (setBaseUrl) row.BaseUrlOverride = command.BaseUrl;
        var setOrigins = command.RedirectOrigins is { Present: true };
        if (setOrigins) row.AllowedRedirectOriginsJson = command.RedirectOrigins!.Json;

        var statementsSql = Statements.For(sql);
        // In a one-command write every UPDATE and DELETE raises if its row changed since the read (see StoreTransaction).
        var oneCommand = tx.CommitsWithCommand;
        var update = oneCommand ? statementsSql.CheckedUpdate! : statementsSql.Update;
        var (deleteSecret, updateSecret) = oneCommand
            ? (statementsSql.CheckedDeleteSecret!, statementsSql.CheckedUpdateSecret!)
            : (statementsSql.DeleteSecret, statementsSql.UpdateSecret);
        // Parameters are gathered on a command that never runs; the one that runs is looked up by the finished text.
        await using var cmd = connection.CreateCommand();
        var text = new StringBuilder();
        var statements = 0;
        if (stored is null)
        {
            sql.AppendInsert(text, cmd, row, "i");
        }
        else
        {
            // Only the columns an install changes; the Version check refuses a write based on a stale read.
            text.Append(update[(setBaseUrl ? 1 : 0) | (setOrigins ? 2 : 0)]);
            sql.Bind<Integration>(cmd, "@st", nameof(Integration.Status), row.Status);
            sql.Bind<Integration>(cmd, "@ia", nameof(Integration.InstalledAt), row.InstalledAt);
            sql.Bind<Integration>(cmd, "@pj", nameof(Integration.ParamsJson), row.ParamsJson);
            sql.Bind<Integration>(cmd, "@ua", nameof(Integration.UpdatedAt), row.UpdatedAt);
            sql.Bind<Integration>(cmd, "@v", nameof(Integration.Version), row.Version);
            if (setBaseUrl) sql.Bind<Integration>(cmd, "@bu", nameof(Integration.BaseUrlOverride), row.BaseUrlOverride);
            if (setOrigins) sql.Bind<Integration>(cmd, "@ro", nameof(Integration.AllowedRedirectOriginsJson), row.AllowedRedirectOriginsJson);
            sql.Bind<Integration>(cmd, "@id", nameof(Integration.Id), row.Id);
            sql.Bind<Integration>(cmd, "@a", nameof(Integration.AccountId), row.AccountId);
            sql.Bind<Integration>(cmd, "@v0", nameof(Integration.Version), readVersion);
        }
        statements++;

        if (command.Secrets is not null)
        {
            var n = 0;
            foreach (var gone in row.Secrets.Where(s => command.Secrets.All(c => c.Name != s.Name)).ToList())
            {
                text.Append(deleteSecret.Replace("@sN", $"@s{n}", StringComparison.Ordinal));
                sql.Bind<IntegrationSecret>(cmd, $"@s{n}id", nameof(IntegrationSecret.Id), gone.Id);
                row.Secrets.Remove(gone);
                n++;
                statements++;
            }
            foreach (var s in command.Secrets)
            {
                var existing = row.Secrets.FirstOrDefault(x => x.Name == s.Name);
                if (existing is null)
                {
                    var added = new IntegrationSecret
                    {
                        Id = Guid.CreateVersion7(),
                        AccountId = row.AccountId,
                        IntegrationId = row.Id,
                        Name = s.Name,
                        Ciphertext = s.Ciphertext,
                        KeyId = s.KeyId,
                        Fingerprint = s.Fingerprint,
                        CreatedAt = now,
                        UpdatedAt = now,
                    };
                    sql.AppendInsert(text, cmd, added, $"s{n}_");
                    row.Secrets.Add(added);
                }
                else
                {
                    existing.Ciphertext = s.Ciphertext;
                    existing.KeyId = s.KeyId;
                    existing.Fingerprint = s.Fingerprint;
                    existing.UpdatedAt = now;
                    text.Append(updateSecret.Replace("@sN", $"@s{n}", StringComparison.Ordinal));
                    sql.Bind<IntegrationSecret>(cmd, $"@s{n}c", nameof(IntegrationSecret.Ciphertext), s.Ciphertext);
                    sql.Bind<IntegrationSecret>(cmd, $"@s{n}k", nameof(IntegrationSecret.KeyId), s.KeyId);
                    sql.Bind<IntegrationSecret>(cmd, $"@s{n}f", nameof(IntegrationSecret.Fingerprint), s.Fingerprint);
                    sql.Bind<IntegrationSecret>(cmd, $"@s{n}u", nameof(IntegrationSecret.UpdatedAt), now);
                    sql.Bind<IntegrationSecret>(cmd, $"@s{n}id", nameof(IntegrationSecret.Id), existing.Id);
                }
                n++;
                statements++;
            }
        }

        var audit = AuditLog.Event(command.Actor, command.AccountId, "integration.installed", command.ProjectId, command.Provider,
            row.Id.ToString(), new
            {
                Params = finalParams.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray(),
                SecretsSet = command.Secrets?.Select(s => s.Name).Order(StringComparer.Ordinal).ToArray(),
                AllowedRedirectOrigins = setOrigins ? AllowedRedirectOrigins.Parse(row.AllowedRedirectOriginsJson) ?? [] : null,
                Before = new { Status = before },
                After = new { row.Status },
            });
        sql.AppendInsert(text, cmd, audit, "e");
        SwitchboardMetrics.AuditAppends.Add(1);
        statements++;
        EventOutbox.AppendInsert(tx, text, cmd, new EventEnvelope(EventTypes.IntegrationInstalled, new EventData(command.AccountId, command.ProjectId)
        {
            IntegrationId = row.Id.ToString(),
            Provider = command.Provider,
            Status = row.Status,
            PreviousStatus = before,
        }), "o");
        statements++;

        await using var write = ReusableCommands.Get(connection, transaction, text.ToString());
        write.TakeParametersOf(cmd);
        if (oneCommand)
        {
            // The command commits itself: once sent it is not cancelled, so the caller learns whether it was stored.
            await write.Command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        // Every statement touches exactly one row; fewer means the integration or a secret changed since the read.
        else if (await write.Command.ExecuteNonQueryAsync(ct) != statements)
            throw new DbUpdateConcurrencyException("The integration changed while it was being installed.");
        // SQLite reads in process, in the writer's transaction: a copy would save nothing there.
        return (new InstallOutcome(InstalledRowOf(row), []), sql.IsSqlite ? null : Copy(row));
    }

    /// <summary>An install's copy of the row was found out of date before anything was sent.</summary>
    public sealed class StaleCopyException() : Exception("This node's copy of the integration may be out of date.");

    /// <summary>The row and its secrets as an install reads them (ciphertexts left out), detached from the original.</summary>
    public static Integration Copy(Integration i)
    {
        var copy = new Integration
        {
            Id = i.Id,
            AccountId = i.AccountId,
            ProjectId = i.ProjectId,
            Provider = i.Provider,
            Status = i.Status,
            InstalledAt = i.InstalledAt,
            ParamsJson = i.ParamsJson,
            BaseUrlOverride = i.BaseUrlOverride,
            CreatedAt = i.CreatedAt,
            UpdatedAt = i.UpdatedAt,
            Version = i.Version,
            AllowedRedirectOriginsJson = i.AllowedRedirectOriginsJson,
        };
        foreach (var s in i.Secrets)
        {
            copy.Secrets.Add(new IntegrationSecret
            {
                Id = s.Id,
                AccountId = s.AccountId,
                IntegrationId = s.IntegrationId,
                Name = s.Name,
                Fingerprint = s.Fingerprint,
                KeyId = s.KeyId,
                Ciphertext = [],
                CreatedAt = s.CreatedAt,
                UpdatedAt = s.UpdatedAt,
            });
        }
        return copy;
    }

    /// <summary>
    /// The stored integration with its secrets (names, fingerprints, ids), or null. On PostgreSQL, when
    /// <paramref name="locked"/>, the row stays locked until the write commits; a one-command write reads without a lock
    /// and its statements check the row's Version instead. Every statement here and in <see cref="Statements"/> carries
    /// the account in its predicate.
    /// </summary>
    private static async Task<Integration?> ReadAsync(ModelSql sql, DbConnection connection, DbTransaction? tx, InstallCommand command,
        bool locked, CancellationToken ct)
    {
        var statements = Statements.For(sql);
        await using var lease = ReusableCommands.Get(connection, tx, locked ? statements.Read : statements.UnlockedRead);
        var cmd = lease.Command;
        sql.Bind<Integration>(cmd, "@a", nameof(Integration.AccountId), command.AccountId);
        sql.Bind<Integration>(cmd, "@p", nameof(Integration.ProjectId), command.ProjectId);
        sql.Bind<Integration>(cmd, "@n", nameof(Integration.Provider), command.Provider);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var row = new Integration
        {
            Id = r.GetGuid(0),
            AccountId = command.AccountId,
            ProjectId = command.ProjectId,
            Provider = command.Provider,
            Status = r.GetString(1),
            InstalledAt = r.IsDBNull(2) ? null : Utc(r.GetDateTime(2)),
            ParamsJson = r.GetString(3),
            BaseUrlOverride = r.IsDBNull(4) ? null : r.GetString(4),
            CreatedAt = Utc(r.GetDateTime(5)),
            UpdatedAt = Utc(r.GetDateTime(6)),
            Version = r.GetInt32(7),
            AllowedRedirectOriginsJson = r.IsDBNull(8) ? null : r.GetString(8),
        };
        // The secrets come from a second statement: on PostgreSQL it starts after the first holds the row lock, so it sees
        // what the previous install committed (one joined statement would see the secrets of before the wait).
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            row.Secrets.Add(new IntegrationSecret
            {
                Id = r.GetGuid(0),
                AccountId = command.AccountId,
                IntegrationId = row.Id,
                Name = r.GetString(1),
                Fingerprint = r.GetString(2),
                KeyId = r.GetString(3),
                // Not read: an install replaces or keeps ciphertexts, it never needs the stored ones.
                Ciphertext = [],
                CreatedAt = Utc(r.GetDateTime(4)),
                UpdatedAt = Utc(r.GetDateTime(5)),
            });
        }
        return row;
    }

    /// <summary>The install's SQL text, spelled once per model. Secret statements name their parameters @sN, numbered per use.</summary>
    private sealed class Statements
    {
        private static readonly ConditionalWeakTable<ModelSql, Statements> Cache = new();

        public required string Read { get; init; }
        /// <summary><see cref="Read"/> without FOR UPDATE (the same text on SQLite).</summary>
        public required string UnlockedRead { get; init; }
        /// <summary>Indexed by which optional columns the install sets: 1 base_url_override, 2 allowed_redirect_origins.</summary>
        public required string[] Update { get; init; }
        public required string DeleteSecret { get; init; }
        public required string UpdateSecret { get; init; }
        /// <summary>PostgreSQL: the three above as statements that raise unless they touch their row (null on SQLite).</summary>
        public required string[]? CheckedUpdate { get; init; }
        public required string? CheckedDeleteSecret { get; init; }
        public required string? CheckedUpdateSecret { get; init; }

        public static Statements For(ModelSql sql) => Cache.GetValue(sql, Build);

        private static Statements Build(ModelSql sql)
        {
            string C(string p) => sql.Column<Integration>(p);
            string SC(string p) => sql.Column<IntegrationSecret>(p);
            string I(string p) => "i." + C(p);
            string S(string p) => "s." + SC(p);
            var integrations = sql.Table<Integration>();
            var secrets = sql.Table<IntegrationSecret>();
            var update = $"UPDATE {integrations} SET {C(nameof(Integration.Status))} = @st, {C(nameof(Integration.InstalledAt))} = @ia, " +
                $"{C(nameof(Integration.ParamsJson))} = @pj, {C(nameof(Integration.UpdatedAt))} = @ua, {C(nameof(Integration.Version))} = @v";
            var where = $" WHERE {C(nameof(Integration.Id))} = @id AND {C(nameof(Integration.AccountId))} = @a AND {C(nameof(Integration.Version))} = @v0;\n";
            string ReadText(bool locked) => $"""
                SELECT {I(nameof(Integration.Id))}, {I(nameof(Integration.Status))}, {I(nameof(Integration.InstalledAt))}, {I(nameof(Integration.ParamsJson))},
                    {I(nameof(Integration.BaseUrlOverride))}, {I(nameof(Integration.CreatedAt))}, {I(nameof(Integration.UpdatedAt))}, {I(nameof(Integration.Version))},
                    {I(nameof(Integration.AllowedRedirectOriginsJson))}
                FROM {integrations} AS i
                WHERE {I(nameof(Integration.AccountId))} = @a AND {I(nameof(Integration.ProjectId))} = @p AND {I(nameof(Integration.Provider))} = @n{(locked && !sql.IsSqlite ? " FOR UPDATE" : "")};
                SELECT {S(nameof(IntegrationSecret.Id))}, {S(nameof(IntegrationSecret.Name))}, {S(nameof(IntegrationSecret.Fingerprint))},
                    {S(nameof(IntegrationSecret.KeyId))}, {S(nameof(IntegrationSecret.CreatedAt))}, {S(nameof(IntegrationSecret.UpdatedAt))}
                FROM {secrets} AS s
                JOIN {integrations} AS i ON {I(nameof(Integration.Id))} = {S(nameof(IntegrationSecret.IntegrationId))}
                    AND {I(nameof(Integration.AccountId))} = {S(nameof(IntegrationSecret.AccountId))}
                WHERE {I(nameof(Integration.AccountId))} = @a AND {I(nameof(Integration.ProjectId))} = @p AND {I(nameof(Integration.Provider))} = @n
                ORDER BY {S(nameof(IntegrationSecret.Name))};
                """;
            string[] updates = [.. Enumerable.Range(0, 4).Select(set => update
                + ((set & 1) != 0 ? $", {C(nameof(Integration.BaseUrlOverride))} = @bu" : "")
                + ((set & 2) != 0 ? $", {C(nameof(Integration.AllowedRedirectOriginsJson))} = @ro" : "")
                + where)];
            var deleteSecret = $"DELETE FROM {secrets} WHERE {SC(nameof(IntegrationSecret.Id))} = @sNid AND {SC(nameof(IntegrationSecret.AccountId))} = @a;\n";
            var updateSecret = $"UPDATE {secrets} SET {SC(nameof(IntegrationSecret.Ciphertext))} = @sNc, {SC(nameof(IntegrationSecret.KeyId))} = @sNk, " +
                $"{SC(nameof(IntegrationSecret.Fingerprint))} = @sNf, {SC(nameof(IntegrationSecret.UpdatedAt))} = @sNu " +
                $"WHERE {SC(nameof(IntegrationSecret.Id))} = @sNid AND {SC(nameof(IntegrationSecret.AccountId))} = @a;\n";
            return new Statements
            {
                Read = ReadText(locked: true),
                UnlockedRead = ReadText(locked: false),
                Update = updates,
                DeleteSecret = deleteSecret,
                UpdateSecret = updateSecret,
                CheckedUpdate = sql.IsSqlite ? null : [.. updates.Select(sql.OneRowOrRaise)],
                CheckedDeleteSecret = sql.IsSqlite ? null : sql.OneRowOrRaise(deleteSecret),
                CheckedUpdateSecret = sql.IsSqlite ? null : sql.OneRowOrRaise(updateSecret),
            };
        }
    }

    private static DateTime Utc(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc);

    public static InstalledRow InstalledRowOf(Integration i) =>
        new(i.Id, i.Provider, i.Status, i.InstalledAt, i.ParamsJson, i.CreatedAt, i.UpdatedAt,
            i.Secrets.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new SecretView(s.Name, s.Fingerprint, s.UpdatedAt)).ToList(),
            i.AllowedRedirectOriginsJson);
}
