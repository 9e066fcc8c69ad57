using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Http;
using Switchboard.Http.Outbound;
using Switchboard.Store;

namespace Switchboard.Catalog;

public static class InstallRequirementsOf
{
    /// <summary>The params and secrets this provider requires of an install.</summary>
    public static InstallRequirements InstallRequirements(this ProviderDefinition provider) =>
        new(provider.Params.Where(f => f.Required).Select(f => f.Name).ToArray(), provider.Secrets.Where(f => f.Required).Select(f => f.Name).ToArray());
}


/// <summary>
/// An install body checked against the provider's params and secrets schema. A group (params or
/// secrets) left out of the body keeps what is stored; a group sent replaces what is stored.
/// Server-set fields (id, created_at, …) and any other top-level keys are ignored.
/// </summary>
public sealed record InstallRequest(JsonObject? Params, Dictionary<string, string>? Secrets)
{
    public static (InstallRequest? Request, List<FieldError> Errors) Parse(JsonElement? body, ProviderDefinition provider, OutboundPolicy outbound)
    {
        var errors = new List<FieldError>();
        if (body is null) return (new InstallRequest(null, null), errors);
        var root = body.Value;
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$", "wrong_type", "The body must be a JSON object."));
            return (null, errors);
        }

        JsonObject? parameters = null;
        if (root.TryGetProperty("params", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Object) errors.Add(new("params", "wrong_type", "params must be an object."));
            else parameters = ParseParams(p, provider.Params, errors);
        }
        // A host param decides where requests and credentials go: host[:port], and not an internal address.
        foreach (var f in provider.Params.Where(f => f.Format == FieldFormats.Host))
            if (parameters?[f.Name] is JsonValue v && v.TryGetValue<string>(out var host) && outbound.CheckHost($"params.{f.Name}", host) is { } bad)
                errors.Add(bad);

        Dictionary<string, string>? secrets = null;
        if (root.TryGetProperty("secrets", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind != JsonValueKind.Object) errors.Add(new("secrets", "wrong_type", "secrets must be an object."));
            else secrets = ParseSecrets(s, provider.Secrets, errors);
        }
        return (errors.Count == 0 ? new InstallRequest(parameters, secrets) : null, errors);
    }

    /// <summary>Required fields are checked against the result of the install (body merged over what is kept).</summary>
    public static IEnumerable<FieldError> MissingRequired(ProviderDefinition provider, JsonObject finalParams, IEnumerable<string> finalSecretNames) =>
        provider.InstallRequirements().Missing(finalParams, finalSecretNames);

    private static JsonObject ParseParams(JsonElement obj, List<FieldDefinition> fields, List<FieldError> errors)
    {
        var result = new JsonObject();
        foreach (var prop in obj.EnumerateObject())
        {
            var path = "params." + Problems.Truncate(prop.Name, 64);
            var field = fields.FirstOrDefault(f => f.Name == prop.Name);
            if (field is null) { errors.Add(new(path, "unknown_field", $"This provider takes no param '{Problems.Truncate(prop.Name, 64)}'.")); continue; }
            if (prop.Value.ValueKind == JsonValueKind.Null) continue;
            if (CheckValue(field, prop.Value, path, errors)) result[prop.Name] = JsonNode.Parse(prop.Value.GetRawText());
        }
        return result;
    }

    private static Dictionary<string, string> ParseSecrets(JsonElement obj, List<FieldDefinition> fields, List<FieldError> errors)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var prop in obj.EnumerateObject())
        {
            var path = "secrets." + Problems.Truncate(prop.Name, 64);
            var field = fields.FirstOrDefault(f => f.Name == prop.Name);
            if (field is null) { errors.Add(new(path, "unknown_field", $"This provider takes no secret '{Problems.Truncate(prop.Name, 64)}'.")); continue; }
            if (prop.Value.ValueKind == JsonValueKind.Null) continue;
            // Secrets are stored as text whatever their declared type; their value never appears in a message.
            if (prop.Value.ValueKind != JsonValueKind.String) { errors.Add(new(path, "wrong_type", $"{field.Name} must be a string.")); continue; }
            if (CheckValue(field, prop.Value, path, errors, secret: true)) result[prop.Name] = prop.Value.GetString()!;
        }
        return result;
    }

    private static bool CheckValue(FieldDefinition field, JsonElement value, string path, List<FieldError> errors, bool secret = false)
    {
        string? text;
        switch (field.Type)
        {
            case "integer":
                if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _)) { text = value.GetRawText(); break; }
                if (secret && value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), out _)) { text = value.GetString(); break; }
                errors.Add(new(path, "wrong_type", $"{field.Name} must be an integer.")); return false;
            case "number":
                if (value.ValueKind == JsonValueKind.Number) { text = value.GetRawText(); break; }
                if (secret && value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out _)) { text = value.GetString(); break; }
                errors.Add(new(path, "wrong_type", $"{field.Name} must be a number.")); return false;
            case "boolean":
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) { text = value.GetRawText(); break; }
                if (secret && value.GetString() is "true" or "false") { text = value.GetString(); break; }
                errors.Add(new(path, "wrong_type", $"{field.Name} must be true or false.")); return false;
            default:
                if (value.ValueKind != JsonValueKind.String) { errors.Add(new(path, "wrong_type", $"{field.Name} must be a string.")); return false; }
                text = value.GetString()!;
                if (text.Length == 0 && field.Required) { errors.Add(new(path, "required", $"{field.Name} must not be empty.")); return false; }
                if (field.Type == "url" && !(Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
                { errors.Add(new(path, "invalid_url", $"{field.Name} must be an absolute http(s) URL.")); return false; }
                if (field.Type == "email" && !LooksLikeEmail(text))
                { errors.Add(new(path, "invalid_email", $"{field.Name} must be an email address.")); return false; }
                break;
        }
        if (field.Enum is { Count: > 0 } allowed && !allowed.Contains(text!))
        { errors.Add(new(path, "not_allowed", $"{field.Name} must be one of: {string.Join(", ", allowed)}.")); return false; }
        if (field.Pattern is not null && !Matches(field.Pattern, text!))
        {
            errors.Add(new(path, "pattern_mismatch", secret
                ? $"{field.Name} does not have the expected format."
                : $"{field.Name} must match {field.Pattern}."));
            return false;
        }
        return true;
    }

    /// <summary>
    /// Catalog patterns are ECMAScript regexes that must match the whole value. The full-length check matters:
    /// .NET's "$" also matches before a trailing newline, which would let "sk_live_x\n" through.
    /// </summary>
    public static bool Matches(string pattern, string text)
    {
        try
        {
            var m = Compiled(pattern).Match(text);
            return m.Success && m.Index == 0 && m.Length == text.Length;
        }
        catch (RegexMatchTimeoutException) { return false; }
    }

    // Regex's own cache holds 15 patterns and the catalog has more, so each match re-parsed its pattern; parsed once
    // here instead. The timeout bounds a tenant's pathological pattern; 50 ms was short enough for a valid value to
    // time out (and be refused) on a loaded 2-core machine.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);
    private const int MaxCachedPatterns = 2_000;

    private static Regex Compiled(string pattern)
    {
        if (Patterns.TryGetValue(pattern, out var regex)) return regex;
        if (Patterns.Count >= MaxCachedPatterns) Patterns.Clear();
        return Patterns[pattern] = new Regex(pattern, RegexOptions.ECMAScript, TimeSpan.FromMilliseconds(250));
    }

    private static bool LooksLikeEmail(string s)
    {
        var at = s.IndexOf('@');
        return at > 0 && at == s.LastIndexOf('@') && at < s.Length - 3 && s[(at + 1)..].Contains('.') && !s.Any(char.IsWhiteSpace);
    }
}
