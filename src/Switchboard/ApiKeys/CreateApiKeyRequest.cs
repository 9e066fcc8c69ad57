using System.Text.Json;
using Switchboard.Http;

namespace Switchboard.ApiKeys;

/// <summary>POST /api-keys: a name (1-200 characters, no control characters), one or more scopes, and optionally the project the key is restricted to.</summary>
public sealed record CreateApiKeyRequest(string Name, IReadOnlyList<string> Scopes, string? ProjectId) : IJsonRequest<CreateApiKeyRequest>
{
    public const int MaxNameLength = 200;

    /// <summary>Always the record as far as it could be read, so a project_id can be looked at before the field errors.</summary>
    public static (CreateApiKeyRequest? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root)
    {
        var errors = new List<FieldError>();
        var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : null;
        if (name is null || name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
            errors.Add(new("name", "required", $"name is required (1-{MaxNameLength} characters, no control characters)."));
        var scopes = new List<string>();
        if (!root.TryGetProperty("scopes", out var s) || s.ValueKind != JsonValueKind.Array || s.GetArrayLength() == 0)
            errors.Add(new("scopes", "required", $"scopes must be a non-empty array of: {string.Join(", ", Tenancy.Scopes.All)}."));
        else
            foreach (var item in s.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && Tenancy.Scopes.IsKnown(item.GetString()!)) scopes.Add(item.GetString()!);
                else errors.Add(new("scopes", "invalid_scope", $"Scopes are: {string.Join(", ", Tenancy.Scopes.All)}."));
            }
        string? projectId = null;
        if (root.TryGetProperty("project_id", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            projectId = p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            if (projectId is null) errors.Add(new("project_id", "wrong_type", "project_id must be a string."));
        }
        return (new CreateApiKeyRequest(name ?? "", scopes, projectId), errors);
    }
}
