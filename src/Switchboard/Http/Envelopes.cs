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
}
