namespace Switchboard.Events;

/// <summary>
/// The event types Switchboard emits (the "type" of a webhook payload). A type is part of the public contract: add new
/// ones, never rename one. Endpoints subscribe to a list of these (none: all).
/// </summary>
public static class EventTypes
{
    /// <summary>An end user's connection became usable for the first time (credential stored, or OAuth callback succeeded).</summary>
    public const string ConnectionCreated = "connection.created";
    /// <summary>An attempt to connect an end user failed (e.g. the OAuth callback was refused or the code exchange failed).</summary>
    public const string ConnectionFailed = "connection.failed";
    public const string ConnectionDeleted = "connection.deleted";
    /// <summary>Refreshing a connection's token failed (retried later, given up, or the grant was revoked: see data.status).</summary>
    public const string ConnectionRefreshFailed = "connection.refresh_failed";
    /// <summary>A connection whose refresh had failed was refreshed successfully.</summary>
    public const string ConnectionRefreshRecovered = "connection.refresh_recovered";
    public const string IntegrationInstalled = "integration.installed";
    public const string IntegrationLifecycleUpdated = "integration.lifecycle.updated";
    public const string IntegrationDisconnected = "integration.disconnected";
    public const string IntegrationHealthChanged = "integration.health_changed";

    public static readonly IReadOnlyList<string> All =
    [
        ConnectionCreated, ConnectionFailed, ConnectionDeleted, ConnectionRefreshFailed, ConnectionRefreshRecovered,
        IntegrationInstalled, IntegrationLifecycleUpdated, IntegrationDisconnected, IntegrationHealthChanged,
    ];

    public static bool IsKnown(string type) => All.Contains(type, StringComparer.Ordinal);
}
