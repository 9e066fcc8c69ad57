using System.Text.Json;
using Switchboard.Events;
using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Webhooks;

/// <summary>
/// POST /webhook-endpoints (url required) and PATCH /webhook-endpoints/{id} (every member optional): the URL events are
/// POSTed to, the event types it receives (empty or left out on creation: all), whether it is enabled, and on creation
/// the project whose events it receives (project_id; ignored by PATCH).
/// </summary>
public sealed record WebhookEndpointRequest(string? Url, IReadOnlyList<string>? EventTypes, bool? Enabled, string? ProjectId = null)
    : IJsonRequest<WebhookEndpointRequest>
{
    public static (WebhookEndpointRequest? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root)
    {
        var errors = new List<FieldError>();
        string? url = null;
        if (root.TryGetProperty("url", out var u))
        {
            if (u.ValueKind != JsonValueKind.String || u.GetString()!.Length is 0 or > WebhookEndpoint.MaxUrlLength)
                errors.Add(new("url", "invalid_url", $"url must be an absolute https URL (at most {WebhookEndpoint.MaxUrlLength} characters)."));
            else url = u.GetString();
        }
        List<string>? types = null;
        if (root.TryGetProperty("event_types", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            types = [];
            if (t.ValueKind != JsonValueKind.Array) errors.Add(new("event_types", "wrong_type", "event_types must be an array of event types."));
            else
                foreach (var item in t.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && Events.EventTypes.IsKnown(item.GetString()!))
                    {
                        if (!types.Contains(item.GetString()!)) types.Add(item.GetString()!);
                    }
                    else errors.Add(new("event_types", "unknown_event_type", $"Event types are: {string.Join(", ", Events.EventTypes.All)}."));
                }
        }
        bool? enabled = null;
        if (root.TryGetProperty("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) enabled = e.GetBoolean();
            else errors.Add(new("enabled", "wrong_type", "enabled must be true or false."));
        }
        string? projectId = null;
        if (root.TryGetProperty("project_id", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            projectId = p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            if (projectId is null) errors.Add(new("project_id", "wrong_type", "project_id must be a string."));
        }
        return (new WebhookEndpointRequest(url, types, enabled, projectId), errors);
    }
}
