using System.Text.Json.Nodes;

namespace Switchboard.Http;

/// <summary>The RogerIQ envelope: {"data": …}.</summary>
public sealed record Envelope<T>(T Data);

public static class Envelope
{
    public static Envelope<T> Of<T>(T data) => new(data);
}

/// <summary>A RogerIQ list: {"data": […], "next_cursor": …}.</summary>
public sealed record DataList<T>(IReadOnlyList<T> Data, string? NextCursor);

public static class JsonObjects
{
    public static JsonObject Parse(string json) => JsonNode.Parse(json) as JsonObject ?? [];

    /// <summary>RFC 7386-style merge: objects merge recursively, null removes a key, anything else replaces.</summary>
    public static JsonObject DeepMerge(JsonObject target, JsonObject patch)
    {
        var result = (JsonObject)target.DeepClone();
        foreach (var (key, value) in patch)
        {
            if (value is null) result.Remove(key);
            else if (value is JsonObject obj && result[key] is JsonObject existing) result[key] = DeepMerge(existing, obj);
            else result[key] = value is JsonObject o ? DeepMerge([], o) : value.DeepClone();
        }
        return result;
    }
}
