using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Switchboard.Store;

namespace Switchboard.Hosting.Operations;

/// <summary>The start cannot go on; the message is one line for the operator (no stack trace, no secret).</summary>
public sealed class StartupFailedException(string message) : Exception(message);

/// <summary>
/// Before migrating: wait for the database (a node often starts beside its database), then make sure EF's
/// migrations history table exists, so a healthy first start logs no error.
/// </summary>
public static class DatabaseStartup
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(5);

    public static async Task WaitAndPrepareAsync(SwitchboardDb db, DatabaseOptions options, ILogger logger, CancellationToken ct = default)
    {
        await WaitUntilReachableAsync(db, options.StartupTimeout, logger, ct);
        await EnsureHistoryTableAsync(db, ct);
    }

    /// <summary>Retries with backoff for <paramref name="timeout"/>, one line per failed attempt, then gives up with one line.</summary>
    public static async Task WaitUntilReachableAsync(SwitchboardDb db, TimeSpan timeout, ILogger logger, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            string reason;
            try
            {
                // Plain ADO.NET: EF would log every refused attempt as an error of its own, beside our one line.
                var connection = db.Database.GetDbConnection();
                await connection.OpenAsync(ct);
                await connection.CloseAsync();
                if (attempt > 1) logger.LogInformation("Database reachable after {Attempts} attempts ({Seconds:0.0} s)", attempt, clock.Elapsed.TotalSeconds);
                return;
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException && !ct.IsCancellationRequested)
            {
                reason = Reason(e);
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                var message = $"database unreachable after {attempt} attempt(s) in {clock.Elapsed.TotalSeconds:0} s " +
                              $"(Switchboard:Database:StartupTimeout is {timeout}): {reason}";
                logger.LogCritical("Giving up: {Message}", message);
                throw new StartupFailedException(message);
            }
            var wait = delay < left ? delay : left;
            logger.LogWarning("Database not reachable (attempt {Attempt}, {Elapsed:0} s of {Timeout:0} s): {Reason}; retrying in {Delay:0.0} s",
                attempt, clock.Elapsed.TotalSeconds, timeout.TotalSeconds, reason, wait.TotalSeconds);
            await Task.Delay(wait, ct);
            delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay;
        }
    }

    /// <summary>
    /// Npgsql's migrator reads the history table before creating it and relies on the failure, which EF logs at Error
    /// level ("relation __EFMigrationsHistory does not exist") on every fresh database. Created here first, with plain
    /// ADO.NET (not logged as an EF command), the read succeeds. SQLite's migrator checks first and needs nothing.
    /// </summary>
    private static async Task EnsureHistoryTableAsync(SwitchboardDb db, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql()) return;
        var script = db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = script;
            await command.ExecuteNonQueryAsync(ct);
        }
        // Another node created it at the same moment (CREATE … IF NOT EXISTS can still race in the catalog): it exists.
        catch (DbException e) when (e.SqlState is "42P07" or "23505")
        {
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The exception's message and its innermost cause's, on one line.</summary>
    private static string Reason(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        var text = inner == e || e.Message.Contains(inner.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message} ({inner.Message})";
        return text.ReplaceLineEndings(" ").Trim();
    }
}
