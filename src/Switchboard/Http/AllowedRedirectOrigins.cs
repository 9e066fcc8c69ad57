using System.Text.Json;

namespace Switchboard.Http;

/// <summary>
/// The optional top-level "allowed_redirect_origins" of an install body: the origins (scheme://host[:port]) an auth
/// URL's redirectUri may point to for this integration. Absent keeps what is stored; null or [] removes the list (any
/// redirectUri that passes <see cref="RedirectUris"/> is accepted); an array of origins replaces it.
/// Stored as a JSON array of normalised origins.
/// </summary>
public sealed record AllowedRedirectOrigins(bool Present, string? Json, IReadOnlyList<FieldError> Errors)
{
    public const string Field = "allowed_redirect_origins";

    public static AllowedRedirectOrigins Read(JsonElement? body, bool allowLoopbackHttp)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty(Field, out var value))
            return new(false, null, []);
        if (value.ValueKind == JsonValueKind.Null) return new(true, null, []);
        if (value.ValueKind != JsonValueKind.Array)
            return new(true, null, [new FieldError(Field, "wrong_type", $"{Field} must be an array of origins or null.")]);
        if (value.GetArrayLength() > RedirectUris.MaxOrigins)
            return new(true, null, [new FieldError(Field, "too_many", $"{Field} takes at most {RedirectUris.MaxOrigins} origins.")]);
        var errors = new List<FieldError>();
        var origins = new List<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = $"{Field}[{i++}]";
            if (item.ValueKind != JsonValueKind.String) { errors.Add(new(path, "wrong_type", "Each origin must be a string.")); continue; }
            var (origin, problem) = RedirectUris.ParseOrigin(item.GetString()!, allowLoopbackHttp);
            if (origin is null) { errors.Add(new(path, "invalid_origin", $"An origin (https://host[:port]) {problem}.")); continue; }
            if (!origins.Contains(origin)) origins.Add(origin);
        }
        if (errors.Count > 0) return new(true, null, errors);
        return new(true, origins.Count == 0 ? null : JsonSerializer.Serialize(origins), []);
    }

    /// <summary>The stored list, or null when the integration has none.</summary>
    public static IReadOnlyList<string>? Parse(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<List<string>>(json);
}
