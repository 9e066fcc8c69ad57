using Microsoft.EntityFrameworkCore;

namespace Switchboard.Store;

/// <summary>An integration and one of its connections (null when that user has none), read together.</summary>
public sealed record IntegrationWithConnection(Integration Integration, OAuthConnection? Connection);

/// <summary>
/// The read behind every credential read: an integration of the account and the connection of one user ("" for the
/// integration's machine token), in one statement. It was three EF queries (integration, connection id, connection
/// row), four fifths of the handler's CPU. On SQLite the statement stays prepared (<see cref="SqliteKeptReads"/>); on
/// PostgreSQL it is one compiled EF query, which Npgsql's auto-prepare keeps prepared on the server.
/// </summary>
public sealed class IntegrationReads(SqliteKeptReads? sqlite = null)
{
    public Task<IntegrationWithConnection?> FindWithConnectionAsync(SwitchboardDb db, string accountId, Guid integrationId, string userId,
        CancellationToken ct) => db switch
    {
        SqliteDb s when sqlite is not null => Task.FromResult(FindOnSqlite(s, accountId, integrationId, userId)),
        SqliteDb s => Compiled<SqliteDb>.Find(s, accountId, integrationId, userId, ct),
        PostgresDb p => Compiled<PostgresDb>.Find(p, accountId, integrationId, userId, ct),
        _ => throw new InvalidOperationException($"Unknown context {db.GetType().Name}."),
    };

    /// <summary>The integration of <paramref name="provider"/> in the project, with its sealed secrets; null when there is none.</summary>
    /// <remarks>The read of every tool call and proxied request (as EF's Include it was three fifths of a call's CPU).</remarks>
    public Task<Integration?> FindInstallAsync(SwitchboardDb db, string accountId, string projectId, string provider, CancellationToken ct) =>
        db switch
        {
            SqliteDb s when sqlite is not null => Task.FromResult(FindInstallOnSqlite(s, accountId, projectId, provider)),
            SqliteDb s => Compiled<SqliteDb>.FindInstall(s, accountId, projectId, provider, ct),
            PostgresDb p => Compiled<PostgresDb>.FindInstall(p, accountId, projectId, provider, ct),
            _ => throw new InvalidOperationException($"Unknown context {db.GetType().Name}."),
        };

    private Integration? FindInstallOnSqlite(SqliteDb db, string accountId, string projectId, string provider)
    {
        var sql = ModelSql.For(db);
        var text = _installText ??= InstallText.Build(sql);
        return sqlite!.Read(text.Text, cmd =>
        {
            sql.Bind<Integration>(cmd, "@a", nameof(Integration.AccountId), accountId);
            sql.Bind<Integration>(cmd, "@p", nameof(Integration.ProjectId), projectId);
            sql.Bind<Integration>(cmd, "@n", nameof(Integration.Provider), provider);
        }, r =>
        {
            Integration? row = null;
            // One row per secret (one with null secret columns when it has none), read in one snapshot.
            while (r.Read())
            {
                row ??= sql.Read<Integration>(r, 0)!;
                if (sql.Read<IntegrationSecret>(r, text.SecretOffset) is { } secret) row.Secrets.Add(secret);
            }
            return row;
        });
    }

    private InstallText? _installText;

    private sealed record InstallText(string Text, int SecretOffset)
    {
        public static InstallText Build(ModelSql sql)
        {
            string I(string p) => "i." + sql.Column<Integration>(p);
            string S(string p) => "s." + sql.Column<IntegrationSecret>(p);
            var integrationColumns = sql.Columns<Integration>("i");
            var text = $"SELECT {integrationColumns}, {sql.Columns<IntegrationSecret>("s")} FROM {sql.Table<Integration>()} AS i"
                       + $" LEFT JOIN {sql.Table<IntegrationSecret>()} AS s ON {S(nameof(IntegrationSecret.AccountId))} = {I(nameof(Integration.AccountId))}"
                       + $" AND {S(nameof(IntegrationSecret.IntegrationId))} = {I(nameof(Integration.Id))}"
                       + $" WHERE {I(nameof(Integration.AccountId))} = @a AND {I(nameof(Integration.ProjectId))} = @p AND {I(nameof(Integration.Provider))} = @n"
                       + $" ORDER BY {S(nameof(IntegrationSecret.Name))}";
            return new InstallText(text, integrationColumns.Split(", ").Length);
        }
    }

    private IntegrationWithConnection? FindOnSqlite(SqliteDb db, string accountId, Guid integrationId, string userId)
    {
        var sql = ModelSql.For(db);
        var text = _sqliteText ??= SqliteText.Build(sql);
        return sqlite!.Read(text.Text, cmd =>
        {
            sql.Bind<Integration>(cmd, "@a", nameof(Integration.AccountId), accountId);
            sql.Bind<Integration>(cmd, "@id", nameof(Integration.Id), integrationId);
            sql.Bind<OAuthConnection>(cmd, "@u", nameof(OAuthConnection.UserId), userId);
        }, r => r.Read() ? new IntegrationWithConnection(sql.Read<Integration>(r, 0)!, sql.Read<OAuthConnection>(r, text.ConnectionOffset)) : null);
    }

    private SqliteText? _sqliteText;

    private sealed record SqliteText(string Text, int ConnectionOffset)
    {
        // Every predicate carries the account; the connection's columns follow the integration's.
        public static SqliteText Build(ModelSql sql)
        {
            string I(string p) => "i." + sql.Column<Integration>(p);
            string C(string p) => "c." + sql.Column<OAuthConnection>(p);
            var integrationColumns = sql.Columns<Integration>("i");
            var text = $"SELECT {integrationColumns}, {sql.Columns<OAuthConnection>("c")} FROM {sql.Table<Integration>()} AS i"
                       + $" LEFT JOIN {sql.Table<OAuthConnection>()} AS c ON {C(nameof(OAuthConnection.AccountId))} = {I(nameof(Integration.AccountId))}"
                       + $" AND {C(nameof(OAuthConnection.IntegrationId))} = {I(nameof(Integration.Id))} AND {C(nameof(OAuthConnection.UserId))} = @u"
                       + $" WHERE {I(nameof(Integration.AccountId))} = @a AND {I(nameof(Integration.Id))} = @id LIMIT 1";
            return new SqliteText(text, integrationColumns.Split(", ").Length);
        }
    }

    // One compiled query per context type: EF binds a compiled query to the model of the first context it runs on.
    private static class Compiled<TDb> where TDb : SwitchboardDb
    {
        public static readonly Func<TDb, string, Guid, string, CancellationToken, Task<IntegrationWithConnection?>> Find =
            EF.CompileAsyncQuery((TDb db, string accountId, Guid integrationId, string userId, CancellationToken ct) =>
                (from i in db.Integrations.AsNoTracking()
                 where i.AccountId == accountId && i.Id == integrationId
                 from c in db.Set<OAuthConnection>().AsNoTracking()
                     .Where(c => c.AccountId == i.AccountId && c.IntegrationId == i.Id && c.UserId == userId).DefaultIfEmpty()
                 select new IntegrationWithConnection(i, c)).FirstOrDefault());

        public static readonly Func<TDb, string, string, string, CancellationToken, Task<Integration?>> FindInstall =
            EF.CompileAsyncQuery((TDb db, string accountId, string projectId, string provider, CancellationToken ct) =>
                db.Integrations.AsNoTracking().Include(i => i.Secrets)
                    .FirstOrDefault(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == provider));
    }
}
