using System.Text.Json;
using Microsoft.Extensions.Options;
using Switchboard.Http;
using Switchboard.Http.Outbound;
using Switchboard.Store;

namespace Switchboard.Catalog;

/// <summary>
/// The optional top-level "base_url_override" of an install body: replaces the provider's api_base_url for
/// verification requests (e.g. a stand-in server, a regional or self-hosted endpoint). Absent keeps what is
/// stored, null clears it, a string sets it.
/// </summary>
public sealed record BaseUrlOverride(bool Present, string? Value, FieldError? Error)
{
    public const string Field = "base_url_override";
    public const int MaxLength = Integration.MaxBaseUrlOverrideLength;

    public static BaseUrlOverride Read(JsonElement? body, OutboundPolicy outbound)
    {
        if (body is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty(Field, out var value))
            return new(false, null, null);
        if (value.ValueKind == JsonValueKind.Null) return new(true, null, null);
        if (value.ValueKind != JsonValueKind.String) return Invalid("wrong_type", $"{Field} must be a string or null.");
        var text = value.GetString()!;
        if (text.Length > MaxLength || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            return Invalid("invalid_url", $"{Field} must be an absolute http(s) URL without credentials, query or fragment (at most {MaxLength} characters).");
        if (outbound.CheckUrl(Field, text) is { } refused) return new(true, null, refused);
        return new(true, text, null);
    }

    private static BaseUrlOverride Invalid(string code, string message) => new(true, null, new FieldError(Field, code, message));
}

/// <summary>Switchboard:Health:AllowBaseUrlOverride (with the health settings, where operators look for it).</summary>
public sealed class BaseUrlOverrideOptions
{
    public const string Section = "Switchboard:Health";

    /// <summary>
    /// Accept base_url_override on install outside Development/Testing. It sends the tenant's credentials to a
    /// URL the tenant chooses, from this server's network (SSRF), so it is off by default in production.
    /// </summary>
    public bool AllowBaseUrlOverride { get; set; }
}

/// <summary>Whether an install may carry base_url_override on this server.</summary>
public sealed class BaseUrlOverridePolicy(IOptions<BaseUrlOverrideOptions> options, IHostEnvironment environment)
{
    public bool Allowed => options.Value.AllowBaseUrlOverride || environment.IsDevelopment() || environment.IsEnvironment("Testing");
}
