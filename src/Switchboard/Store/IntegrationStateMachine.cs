using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Http;

namespace Switchboard.Store;

/// <summary>What a caller asks of an integration; both API surfaces speak in these.</summary>
public enum LifecycleTrigger
{
    /// <summary>Kataven install (or the hosted install page): stores credentials.</summary>
    Install,
    /// <summary>Kataven uninstall: back to the catalog.</summary>
    Uninstall,
    /// <summary>PATCH lifecycle status=paused.</summary>
    Pause,
    /// <summary>PATCH lifecycle status=active.</summary>
    Resume,
    /// <summary>DELETE, or PATCH lifecycle status=disconnected.</summary>
    Disconnect,
    /// <summary>PATCH lifecycle without a status change (display name, sidebar, settings, permissions).</summary>
    Edit,
}

/// <summary>
/// The one set of transition rules for integrations:
/// available → active (install) ⇄ paused; active/paused → disconnected; any installed state → available (uninstall);
/// disconnected → active only by installing again (fresh credentials), never by a PATCH.
/// Installing over a paused integration keeps it paused (a pause is a deliberate act; new credentials do not undo it).
/// Repeating the current state (pause a paused one, disconnect a disconnected one, uninstall an available one) is a no-op.
/// </summary>
public static class IntegrationStateMachine
{
    private static readonly Dictionary<(string From, LifecycleTrigger Trigger), string> Rules = new()
    {
        [(IntegrationStatus.Available, LifecycleTrigger.Install)] = IntegrationStatus.Active,
        [(IntegrationStatus.Active, LifecycleTrigger.Install)] = IntegrationStatus.Active,
        [(IntegrationStatus.Paused, LifecycleTrigger.Install)] = IntegrationStatus.Paused,
        [(IntegrationStatus.Disconnected, LifecycleTrigger.Install)] = IntegrationStatus.Active,

        [(IntegrationStatus.Available, LifecycleTrigger.Uninstall)] = IntegrationStatus.Available,
        [(IntegrationStatus.Active, LifecycleTrigger.Uninstall)] = IntegrationStatus.Available,
        [(IntegrationStatus.Paused, LifecycleTrigger.Uninstall)] = IntegrationStatus.Available,
        [(IntegrationStatus.Disconnected, LifecycleTrigger.Uninstall)] = IntegrationStatus.Available,

        [(IntegrationStatus.Active, LifecycleTrigger.Pause)] = IntegrationStatus.Paused,
        [(IntegrationStatus.Paused, LifecycleTrigger.Pause)] = IntegrationStatus.Paused,

        [(IntegrationStatus.Active, LifecycleTrigger.Resume)] = IntegrationStatus.Active,
        [(IntegrationStatus.Paused, LifecycleTrigger.Resume)] = IntegrationStatus.Active,

        [(IntegrationStatus.Active, LifecycleTrigger.Disconnect)] = IntegrationStatus.Disconnected,
        [(IntegrationStatus.Paused, LifecycleTrigger.Disconnect)] = IntegrationStatus.Disconnected,
        [(IntegrationStatus.Disconnected, LifecycleTrigger.Disconnect)] = IntegrationStatus.Disconnected,

        [(IntegrationStatus.Active, LifecycleTrigger.Edit)] = IntegrationStatus.Active,
        [(IntegrationStatus.Paused, LifecycleTrigger.Edit)] = IntegrationStatus.Paused,
        [(IntegrationStatus.Disconnected, LifecycleTrigger.Edit)] = IntegrationStatus.Disconnected,
    };

    /// <summary>The status after <paramref name="trigger"/>, or null when the transition is not allowed.</summary>
    public static string? Next(string from, LifecycleTrigger trigger) => Rules.GetValueOrDefault((from, trigger));

    /// <summary>The trigger a requested RogerIQ status means, or null for a status that cannot be requested.</summary>
    public static LifecycleTrigger? TriggerFor(string requestedStatus) => requestedStatus switch
    {
        IntegrationStatus.Active => LifecycleTrigger.Resume,
        IntegrationStatus.Paused => LifecycleTrigger.Pause,
        IntegrationStatus.Disconnected => LifecycleTrigger.Disconnect,
        _ => null,
    };

    /// <summary>
    /// Moves <paramref name="row"/> by <paramref name="trigger"/> with the side effects of the new state, or answers
    /// 409 invalid_transition and changes nothing. A row that does not exist yet is passed as a fresh "available" row.
    /// </summary>
    public static ProblemHttpResult? Apply(Integration row, LifecycleTrigger trigger, DateTime now)
    {
        var next = Next(row.Status, trigger);
        if (next is null) return InvalidTransition(row.Provider, row.Status, trigger);
        switch (trigger)
        {
            case LifecycleTrigger.Install:
                row.InstalledAt = now;
                break;
            case LifecycleTrigger.Uninstall when row.Status != IntegrationStatus.Available:
                row.InstalledAt = null;
                break;
            case LifecycleTrigger.Disconnect:
                // Disconnecting hides the sidebar panel and clears health; stored tokens are kept (not revoked).
                row.SidebarEnabled = false;
                row.HealthStatus = null;
                row.ErrorMessage = null;
                break;
        }
        row.Status = next;
        return null;
    }

    /// <summary>
    /// For credential reads and tool calls: null when the integration may be used, else the 409
    /// integration_not_active problem (paused, disconnected, or not installed).
    /// </summary>
    public static ProblemHttpResult? EnsureUsable(string status, string provider) =>
        status == IntegrationStatus.Active ? null
            : Problems.Make(409, "integration_not_active", "Integration is not active",
                $"Integration '{Problems.Truncate(provider, 64)}' is {status}; only an active integration can be used.",
                new Dictionary<string, object?> { ["current_status"] = status });

    /// <summary>A disconnected integration keeps its sidebar panel hidden until it is installed again.</summary>
    public static ProblemHttpResult? EnsureSidebarAllowed(string status, string provider) =>
        status != IntegrationStatus.Disconnected ? null
            : Problems.Make(409, "invalid_transition", "Invalid status transition",
                $"Integration '{Problems.Truncate(provider, 64)}' is disconnected and cannot show its sidebar; install it again first.",
                new Dictionary<string, object?> { ["current_status"] = status, ["requested"] = "sidebar_enabled" });

    public static bool IsUsable(string status) => status == IntegrationStatus.Active;

    public static ProblemHttpResult InvalidTransition(string provider, string from, LifecycleTrigger trigger) =>
        Problems.Make(409, "invalid_transition", "Invalid status transition",
            $"Integration '{Problems.Truncate(provider, 64)}' is {from}; it cannot {Verb(trigger)}{Hint(from, trigger)}",
            new Dictionary<string, object?> { ["current_status"] = from, ["requested"] = Verb(trigger) });

    private static string Verb(LifecycleTrigger t) => t switch
    {
        LifecycleTrigger.Install => "install",
        LifecycleTrigger.Uninstall => "uninstall",
        LifecycleTrigger.Pause => "pause",
        LifecycleTrigger.Resume => "resume",
        LifecycleTrigger.Disconnect => "disconnect",
        _ => "be edited",
    };

    private static string Hint(string from, LifecycleTrigger t) => (from, t) switch
    {
        (IntegrationStatus.Available, _) => ". Install it first.",
        (IntegrationStatus.Disconnected, LifecycleTrigger.Resume or LifecycleTrigger.Pause) => ". Install it again to reconnect.",
        _ => ".",
    };
}
