using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Sealing;
using Switchboard.Store;
using Switchboard.Http;

namespace Switchboard.Hosting.Operations;

/// <summary>
/// /readyz: the node can serve traffic — the database answers, every migration this build knows is applied, and the key
/// ring encrypts and decrypts. 200 {"status":"ready"}, or a 503 problem (code not_ready) naming what is not ready.
/// Descriptions are fixed texts: the route needs no authentication, so it tells nothing about hosts or keys.
/// </summary>
public static class Readiness
{
    public const string Tag = "ready";
    public const string Database = "database", Migrations = "migrations", KeyRing = "key_ring";

    public static IHealthChecksBuilder AddReadinessChecks(this IHealthChecksBuilder checks) => checks
        .AddCheck<DatabaseCheck>(Database, tags: [Tag], timeout: TimeSpan.FromSeconds(10))
        .AddCheck<MigrationsCheck>(Migrations, tags: [Tag], timeout: TimeSpan.FromSeconds(10))
        .AddCheck<KeyRingCheck>(KeyRing, tags: [Tag]);

    public static HealthCheckOptions Options => new()
    {
        Predicate = check => check.Tags.Contains(Tag),
        ResponseWriter = WriteAsync,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status == HealthStatus.Healthy
            ? new CheckView("ok", null)
            : new CheckView("not_ready", e.Value.Description ?? (e.Value.Exception is null ? "failed" : "check failed")));
        if (report.Status == HealthStatus.Healthy) return context.Response.WriteAsJsonAsync(new ReadyView("ready", checks));
        var failing = checks.Where(c => c.Value.Status != "ok").Select(c => c.Key).ToArray();
        return Problems.Make(503, "not_ready", "Not ready",
                "Not ready: " + string.Join("; ", failing.Select(k => $"{k} ({checks[k].Detail})")) + ".",
                new Dictionary<string, object?> { ["not_ready"] = failing, ["checks"] = checks })
            .ExecuteAsync(context);
    }

    public sealed record CheckView(string Status, string? Detail);
    public sealed record ReadyView(string Status, IReadOnlyDictionary<string, CheckView> Checks);

    /// <summary>A real round trip (SELECT 1; a SQLite file that exists is not yet a database that answers), in plain ADO.NET.</summary>
    private sealed class DatabaseCheck(SwitchboardDb db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                var connection = db.Database.GetDbConnection();
                await connection.OpenAsync(ct);
                try
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = "SELECT 1";
                    await command.ExecuteScalarAsync(ct);
                }
                finally
                {
                    await connection.CloseAsync();
                }
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("unreachable");
            }
        }
    }

    private sealed class MigrationsCheck(SwitchboardDb db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).Count();
                return pending == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"{pending} pending");
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("unknown: database unreachable");
            }
        }
    }

    /// <summary>A round trip through the secret box: a key that is configured but unusable fails here too.</summary>
    private sealed class KeyRingCheck(SecretBox box) : IHealthCheck
    {
        private static readonly SecretContext Probe = new("readyz", "readyz", "readyz", "probe");

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            if (!box.IsAvailable) return Task.FromResult(HealthCheckResult.Unhealthy("no usable encryption key (see the service log)"));
            try
            {
                var ok = box.DecryptString(box.EncryptString("readyz", Probe), Probe) == "readyz";
                return Task.FromResult(ok ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("encryption round trip failed"));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or EncryptionUnavailableException)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("encryption round trip failed"));
            }
        }
    }
}
