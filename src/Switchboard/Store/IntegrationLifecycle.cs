namespace Switchboard.Store;

/// <summary>What a caller asks of an integration; every surface (Kataven, RogerIQ, the hosted page) speaks in these.</summary>
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
/// The answer to a trigger: <see cref="Allowed"/> (the row has moved), or refused, with what a caller needs to say why:
/// the state it is in (<see cref="From"/>), what was asked (<see cref="Requested"/>) and what to do instead (<see cref="Hint"/>).
/// </summary>
public readonly record struct Transition(bool Allowed, string Provider, string From, LifecycleTrigger Trigger)
{
    public string Requested => Trigger switch
    {
        LifecycleTrigger.Install => "install",
        LifecycleTrigger.Uninstall => "uninstall",
        LifecycleTrigger.Pause => "pause",
        LifecycleTrigger.Resume => "resume",
        LifecycleTrigger.Disconnect => "disconnect",
        _ => "be edited",
    };

    public string Hint => (From, Trigger) switch
    {
        (IntegrationStatus.Available, _) => ". Install it first.",
        (IntegrationStatus.Disconnected, LifecycleTrigger.Resume or LifecycleTrigger.Pause) => ". Install it again to reconnect.",
        _ => ".",
    };
}

/// <summary>
/// The one set of transition rules for integrations:
/// available → active (install) ⇄ paused; active/paused → disconnected; any installed state → available (uninstall);
/// disconnected → active only by installing again (fresh credentials), never by a PATCH.
/// Installing over a paused integration keeps it paused (a pause is a deliberate act; new credentials do not undo it).
/// Repeating the current state (pause a paused one, disconnect a disconnected one, uninstall an available one) is a no-op.
/// </summary>
public static class IntegrationLifecycle
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
    /// Moves <paramref name="row"/> by <paramref name="trigger"/> with the side effects of the new state, or refuses and
    /// changes nothing. A row that does not exist yet is passed as a fresh "available" row.
    /// </summary>
    public static Transition Apply(Integration row, LifecycleTrigger trigger, DateTime now)
    {
        var next = Next(row.Status, trigger);
        if (next is null) return Refused(row.Provider, row.Status, trigger);
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
        var from = row.Status;
        row.Status = next;
        return new Transition(true, row.Provider, from, trigger);
    }

    public static Transition Refused(string provider, string from, LifecycleTrigger trigger) => new(false, provider, from, trigger);

    /// <summary>Credential reads and tool calls need an active integration (not paused, disconnected or uninstalled).</summary>
    public static bool IsUsable(string status) => status == IntegrationStatus.Active;

    /// <summary>A disconnected integration keeps its sidebar panel hidden until it is installed again.</summary>
    public static bool MayShowSidebar(string status) => status != IntegrationStatus.Disconnected;
}
