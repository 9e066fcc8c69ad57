using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Switchboard.Audit;
using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Lifecycle;

/// <summary>
/// A PATCH …/lifecycle body. Every field is optional, at least one is required, unknown fields are rejected.
/// status: active | paused | disconnected. display_name: 1-200 characters, null resets to the catalog name.
/// sidebar_enabled: boolean. settings: object deep-merged into the stored settings (null removes a key).
/// action_permissions: object of action name → boolean, merged into the stored permissions (null removes a key).
/// </summary>
public sealed class LifecyclePatch : IJsonRequest<LifecyclePatch>
{
    public const int MaxDisplayName = 200, MaxPermissionName = 100;
    private static readonly string[] Known = ["status", "display_name", "sidebar_enabled", "settings", "action_permissions"];

    public string? Status { get; private set; }
    /// <summary>display_name was sent (null then resets it).</summary>
    [JsonIgnore] public bool HasDisplayName { get; private set; }
    public string? DisplayName { get; private set; }
    public bool? SidebarEnabled { get; private set; }
    public JsonObject? Settings { get; private set; }
    public JsonObject? ActionPermissions { get; private set; }

    public static (LifecyclePatch? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root)
    {
        var errors = new List<FieldError>();
        if (root.ValueKind != JsonValueKind.Object)
            return (null, [new("$", "wrong_type", "The body must be a JSON object.")]);
        var patch = new LifecyclePatch();
        var any = false;
        foreach (var prop in root.EnumerateObject())
        {
            any = true;
            var v = prop.Value;
            switch (prop.Name)
            {
                case "status":
                    if (v.ValueKind != JsonValueKind.String) errors.Add(new("status", "wrong_type", "status must be a string."));
                    else if (v.GetString() is IntegrationStatus.Active or IntegrationStatus.Paused or IntegrationStatus.Disconnected) patch.Status = v.GetString();
                    else errors.Add(new("status", "not_allowed", "status must be one of: active, paused, disconnected."));
                    break;
                case "display_name":
                    patch.HasDisplayName = true;
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.String) { errors.Add(new("display_name", "wrong_type", "display_name must be a string or null.")); break; }
                    var name = v.GetString()!.Trim();
                    if (name.Length is 0 or > MaxDisplayName || name.Any(char.IsControl))
                        errors.Add(new("display_name", "invalid", $"display_name must be 1-{MaxDisplayName} characters without control characters."));
                    else patch.DisplayName = name;
                    break;
                case "sidebar_enabled":
                    if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) patch.SidebarEnabled = v.GetBoolean();
                    else errors.Add(new("sidebar_enabled", "wrong_type", "sidebar_enabled must be true or false."));
                    break;
                case "settings":
                    if (v.ValueKind != JsonValueKind.Object) errors.Add(new("settings", "wrong_type", "settings must be an object."));
                    else patch.Settings = (JsonObject)JsonNode.Parse(v.GetRawText())!;
                    break;
                case "action_permissions":
                    if (v.ValueKind != JsonValueKind.Object) { errors.Add(new("action_permissions", "wrong_type", "action_permissions must be an object of booleans.")); break; }
                    foreach (var p in v.EnumerateObject())
                    {
                        var path = "action_permissions." + Problems.Truncate(p.Name, 64);
                        if (p.Name.Length is 0 or > MaxPermissionName || p.Name.Any(char.IsControl))
                            errors.Add(new(path, "invalid", $"Action names are 1-{MaxPermissionName} characters."));
                        else if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                            errors.Add(new(path, "wrong_type", "Each action permission must be true, false, or null (to remove it)."));
                    }
                    patch.ActionPermissions = (JsonObject)JsonNode.Parse(v.GetRawText())!;
                    break;
                default:
                    errors.Add(new(Problems.Truncate(prop.Name, 64), "unknown_field", $"Fields are: {string.Join(", ", Known)}."));
                    break;
            }
        }
        if (!any) errors.Add(new("$", "required", $"Send at least one of: {string.Join(", ", Known)}."));
        return (errors.Count == 0 ? patch : null, errors);
    }

    /// <summary>The write this patch asks for.</summary>
    public IntegrationEdit ToEdit(string accountId, string projectId, string provider, AuditActor actor) =>
        new(accountId, projectId, provider, actor, Status, HasDisplayName, DisplayName, SidebarEnabled, Settings, ActionPermissions);
}
