using System.Collections.Frozen;
using System.Diagnostics.Metrics;

namespace Switchboard.Telemetry;

/// <summary>
/// Switchboard's own instruments, on one Meter ("Switchboard") that the OpenTelemetry setup exports (/metrics, OTLP).
/// Core code: it imports nothing of the app, and features add one line where something happens. Tags carry fixed
/// vocabularies only (outcomes, statuses, catalog hosts), never an account, project, user, custom provider or URL.
/// </summary>
public static class SwitchboardMetrics
{
    public const string MeterName = "Switchboard";
    /// <summary>The host tag of an outbound request to a host the built-in catalog does not name (a tenant's own host).</summary>
    public const string OtherHost = "other";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Installs = Meter.CreateCounter<long>(
        "switchboard.installs", "{install}", "Installs committed (API and hosted install page)");

    public static readonly Counter<long> CredentialReads = Meter.CreateCounter<long>(
        "switchboard.credential_reads", "{read}", "Credential reads served (and audited)");

    public static readonly Counter<long> Refreshes = Meter.CreateCounter<long>(
        "switchboard.oauth.refreshes", "{refresh}", "Token requests stored, by outcome");

    public static readonly Counter<long> OutboundRequests = Meter.CreateCounter<long>(
        "switchboard.outbound.requests", "{request}", "Requests sent on a tenant's behalf, by catalog host and status");

    public static readonly Counter<long> AuditAppends = Meter.CreateCounter<long>(
        "switchboard.audit.appends", "{event}", "Audit events recorded");

    public static readonly Histogram<int> GroupCommitBatchSize = Meter.CreateHistogram<int>(
        "switchboard.group_commit.batch_size", "{write}", "Writes committed together by one SQLite group commit",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    private static FrozenSet<string> _knownHosts = FrozenSet<string>.Empty;

    /// <summary>The hosts the built-in catalog names; any other host is counted as <see cref="OtherHost"/>.</summary>
    public static void SetKnownHosts(IEnumerable<string> hosts) =>
        _knownHosts = hosts.Select(h => h.ToLowerInvariant()).ToFrozenSet(StringComparer.Ordinal);

    public static void RecordRefresh(string outcome) => Refreshes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>status: the HTTP status code, or "error" (no response) or "blocked" (refused by the outbound guard).</summary>
    public static void RecordOutbound(string? host, string status)
    {
        var tag = host is not null && _knownHosts.Contains(host.ToLowerInvariant()) ? host.ToLowerInvariant() : OtherHost;
        OutboundRequests.Add(1, new KeyValuePair<string, object?>("host", tag), new KeyValuePair<string, object?>("status", status));
    }
}
