using System.Text.Json;
using Switchboard.Http;

namespace Switchboard.Projects;

/// <summary>POST /projects and PATCH /projects/{id}: the name, 1-200 characters without control characters, trimmed.</summary>
public sealed record ProjectNameRequest(string Name) : IJsonRequest<ProjectNameRequest>
{
    public const int MaxNameLength = 200;

    public static (ProjectNameRequest? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root)
    {
        if (!root.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
            return (null, [new("name", "required", "name is required and must be a string.")]);
        var name = n.GetString()!.Trim();
        if (name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
            return (null, [new("name", "invalid", $"name must be 1-{MaxNameLength} characters without control characters.")]);
        return (new ProjectNameRequest(name), []);
    }
}
