using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Http;

namespace Switchboard.Connect;

/// <summary>The end user a connect session is for: the application's own id for them, and what the page may greet them by.</summary>
public sealed record ConnectEndUser(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("display_name")] string? DisplayName);

/// <summary>
/// POST /connect/sessions. <c>redirect_uri</c> follows <see cref="RedirectUris"/> (checked by the endpoint, which
/// answers 400 invalid_redirect_uri as auth URLs do); each of <c>allowed_origins</c> is an origin as in
/// allowed_redirect_origins. Unknown members are refused, so a misspelt option is not silently ignored.
/// </summary>
public sealed record ConnectSessionRequest(
    [property: JsonPropertyName("end_user")] ConnectEndUser EndUser,
    [property: JsonPropertyName("integrations")] IReadOnlyList<string>? Integrations,
    [property: JsonPropertyName("redirect_uri")] string? RedirectUri,
    [property: JsonPropertyName("allowed_origins")] IReadOnlyList<string>? AllowedOrigins,
    [property: JsonPropertyName("expires_in")] int? ExpiresIn)
{
    public const int DefaultExpiresIn = 1800, MinExpiresIn = 60, MaxExpiresIn = 14400;
    public const int MaxIntegrations = 50, MaxUserIdLength = 256;
    private static readonly string[] Members = ["end_user", "integrations", "redirect_uri", "allowed_origins", "expires_in"];
    private static readonly string[] EndUserMembers = ["id", "email", "display_name"];

    public int Lifetime => ExpiresIn ?? DefaultExpiresIn;

    /// <summary>The shape and bounds of the body; the redirect rules and the catalog are checked by the endpoint.</summary>
    public static (ConnectSessionRequest? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root, bool allowLoopbackHttp)
    {
        var errors = new List<FieldError>();
        foreach (var p in root.EnumerateObject())
            if (!Members.Contains(p.Name))
                errors.Add(new(Problems.Truncate(p.Name, 64), "unknown_field", $"Connect sessions take no member '{Problems.Truncate(p.Name, 64)}'."));

        ConnectEndUser? endUser = null;
        if (!root.TryGetProperty("end_user", out var u) || u.ValueKind == JsonValueKind.Null)
            errors.Add(new("end_user", "required", "end_user is required (an object with the end user's id)."));
        else if (u.ValueKind != JsonValueKind.Object)
            errors.Add(new("end_user", "wrong_type", "end_user must be an object."));
        else
        {
            foreach (var p in u.EnumerateObject())
                if (!EndUserMembers.Contains(p.Name))
                    errors.Add(new("end_user." + Problems.Truncate(p.Name, 64), "unknown_field", $"end_user takes no member '{Problems.Truncate(p.Name, 64)}'."));
            var id = Text(u, "id", "end_user.id", MaxUserIdLength, required: true, errors);
            var email = Text(u, "email", "end_user.email", 320, required: false, errors);
            if (email is not null && !(email.IndexOf('@') is > 0 and var at && at < email.Length - 1))
                errors.Add(new("end_user.email", "invalid_email", "end_user.email must be an email address."));
            var name = Text(u, "display_name", "end_user.display_name", 200, required: false, errors);
            if (id is not null) endUser = new ConnectEndUser(id, email, name);
        }

        List<string>? integrations = null;
        if (root.TryGetProperty("integrations", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array) errors.Add(new("integrations", "wrong_type", "integrations must be an array of provider names."));
            else if (list.GetArrayLength() > MaxIntegrations) errors.Add(new("integrations", "too_many", $"integrations takes at most {MaxIntegrations} names."));
            else
            {
                integrations = [];
                var i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var path = $"integrations[{i++}]";
                    if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 and <= 64 } name)
                        errors.Add(new(path, "wrong_type", "Each integration must be a provider name (1 to 64 characters)."));
                    else if (!integrations.Contains(name)) integrations.Add(name);
                }
            }
        }

        string? redirectUri = null;
        if (root.TryGetProperty("redirect_uri", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            if (r.ValueKind != JsonValueKind.String) errors.Add(new("redirect_uri", "wrong_type", "redirect_uri must be a string."));
            else redirectUri = r.GetString();
        }

        List<string>? origins = null;
        if (root.TryGetProperty("allowed_origins", out var o) && o.ValueKind != JsonValueKind.Null)
        {
            if (o.ValueKind != JsonValueKind.Array) errors.Add(new("allowed_origins", "wrong_type", "allowed_origins must be an array of origins."));
            else if (o.GetArrayLength() > RedirectUris.MaxOrigins)
                errors.Add(new("allowed_origins", "too_many", $"allowed_origins takes at most {RedirectUris.MaxOrigins} origins."));
            else
            {
                origins = [];
                var i = 0;
                foreach (var item in o.EnumerateArray())
                {
                    var path = $"allowed_origins[{i++}]";
                    if (item.ValueKind != JsonValueKind.String) { errors.Add(new(path, "wrong_type", "Each origin must be a string.")); continue; }
                    var (origin, problem) = RedirectUris.ParseOrigin(item.GetString()!, allowLoopbackHttp);
                    if (origin is null) errors.Add(new(path, "invalid_origin", $"An origin (https://host[:port]) {problem}."));
                    else if (!origins.Contains(origin)) origins.Add(origin);
                }
            }
        }

        int? expiresIn = null;
        if (root.TryGetProperty("expires_in", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var seconds) || seconds is < MinExpiresIn or > MaxExpiresIn)
                errors.Add(new("expires_in", "out_of_range", $"expires_in must be a whole number of seconds from {MinExpiresIn} to {MaxExpiresIn}."));
            else expiresIn = seconds;
        }

        if (errors.Count > 0 || endUser is null) return (null, errors);
        return (new ConnectSessionRequest(endUser, integrations, redirectUri, origins, expiresIn), errors);
    }

    private static string? Text(JsonElement obj, string name, string path, int max, bool required, List<FieldError> errors)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(new(path, "required", $"{path} is required."));
            return null;
        }
        if (v.ValueKind != JsonValueKind.String) { errors.Add(new(path, "wrong_type", $"{path} must be a string.")); return null; }
        var text = v.GetString()!;
        if (text.Length == 0 || text.Length > max || text.Any(char.IsControl))
        {
            errors.Add(new(path, "invalid", $"{path} must be 1 to {max} characters without control characters."));
            return null;
        }
        return text;
    }
}

public sealed record ConnectSessionResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("connect_url")] string ConnectUrl,
    [property: JsonPropertyName("expires_at")] DateTime ExpiresAt);
