using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Http;

namespace Switchboard.OAuth;

/// <summary>
/// POST …/users/{userId}/auth-url: where the browser goes once the flow ends (optional; without one Switchboard shows its
/// own page). The URL must pass <see cref="RedirectUris"/> (400 invalid_redirect_uri); the body itself may be empty.
/// </summary>
public sealed record AuthUrlRequest([property: JsonPropertyName("redirectUri")] string? RedirectUri)
{
    public static async Task<(AuthUrlRequest? Request, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, bool allowLoopbackHttp,
        CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync(request, allowEmpty: true, ct);
        if (body.Problem is not null) return (null, body.Problem);
        if (body.Root is not { } root) return (new AuthUrlRequest((string?)null), null);
        if (root.ValueKind != JsonValueKind.Object)
            return (null, Problems.Validation([new FieldError("$", "wrong_type", "The body must be a JSON object.")]));
        if (!root.TryGetProperty("redirectUri", out var r) || r.ValueKind == JsonValueKind.Null) return (new AuthUrlRequest((string?)null), null);
        if (r.ValueKind != JsonValueKind.String)
            return (null, Problems.Validation([new FieldError("redirectUri", "wrong_type", "redirectUri must be a string.")]));
        var redirectUri = r.GetString()!;
        if (RedirectUris.Problem(redirectUri, allowLoopbackHttp) is { } why)
            return (null, Problems.BadRequest("invalid_redirect_uri", "Invalid redirectUri", $"redirectUri {why}."));
        return (new AuthUrlRequest(redirectUri), null);
    }
}
