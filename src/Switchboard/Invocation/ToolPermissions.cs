using System.Text.Json.Nodes;
using Switchboard.Catalog;

namespace Switchboard.Invocation;

/// <summary>
/// The permissions policy: a read tool is allowed unless the install's action_permissions sets its permission false;
/// a write tool is denied unless it sets it true. The proxy follows the same rule with two permissions of its own:
/// <see cref="ProxyRead"/> (GET, HEAD, OPTIONS) and <see cref="ProxyWrite"/> (every other method).
/// </summary>
public static class ToolPermissions
{
    public const string ProxyRead = "proxy_read", ProxyWrite = "proxy_write";

    /// <summary>Allowed, or the reason it is not.</summary>
    public static (bool Allowed, string? Reason) Verdict(string permission, bool isWrite, JsonObject actionPermissions)
    {
        var set = actionPermissions[permission] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : (bool?)null;
        return (isWrite, set) switch
        {
            (_, true) => (true, null),
            (_, false) => (false, $"action_permissions.{permission} is false"),
            (true, null) => (false, $"write tools need action_permissions.{permission} set to true"),
            (false, null) => (true, null),
        };
    }

    public static (bool Allowed, string? Reason) Verdict(ToolDefinition tool, JsonObject actionPermissions) =>
        Verdict(tool.Permission, tool.IsWrite, actionPermissions);

    /// <summary>The stored action_permissions of an integration as an object (empty when unreadable).</summary>
    public static JsonObject Parse(string json)
    {
        try { return JsonNode.Parse(json) as JsonObject ?? []; }
        catch (System.Text.Json.JsonException) { return []; }
    }
}
