using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Switchboard.Http.Outbound;

namespace Switchboard.Credentials;

public sealed record TokenSet(string AccessToken, string? RefreshToken, string? TokenType, DateTime? ExpiresAt, string? Scope);

public enum TokenFailureKind
{
    /// <summary>The grant is no longer valid (RFC 6749 invalid_grant): the user must authorise again.</summary>
    InvalidGrant,
    /// <summary>The provider refused for another reason (bad client, bad request): retrying will not help.</summary>
    Rejected,
    /// <summary>Network failure, timeout, 5xx or 429: worth retrying later.</summary>
    Transient,
    /// <summary>The guarded outbound client refused the destination: nothing was sent; retrying will not help.</summary>
    Blocked,
}

/// <summary>Why a token request failed: an OAuth error code, never a token or secret (and for Blocked, the refused host).</summary>
public sealed record TokenFailure(TokenFailureKind Kind, string Error, string? BlockedHost = null);

public sealed record TokenOutcome(TokenSet? Tokens, TokenFailure? Failure)
{
    public static TokenOutcome Ok(TokenSet t) => new(t, null);
    public static TokenOutcome Fail(TokenFailureKind kind, string error) => new(null, new TokenFailure(kind, error));
    public static TokenOutcome Blocked(string host) => new(null, new TokenFailure(TokenFailureKind.Blocked, OutboundBlocked, host));
    public const string OutboundBlocked = "outbound_blocked";
}

/// <summary>Token-endpoint requests (RFC 6749 §4.1.3, §6, §4.4; RFC 7523) and revocation (RFC 7009).</summary>
public sealed class TokenClient(OutboundHttp outbound, IOptions<OAuthOptions> options, ILogger<TokenClient> logger)
{
    public Task<TokenOutcome> ExchangeCodeAsync(string tokenUrl, string clientId, string clientSecret, string code,
        string redirectUri, string? codeVerifier, CancellationToken ct)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId, ["client_secret"] = clientSecret,
        };
        if (codeVerifier is not null) form["code_verifier"] = codeVerifier;
        return PostAsync(tokenUrl, form, ct);
    }

    public Task<TokenOutcome> RefreshAsync(string tokenUrl, string clientId, string clientSecret, string refreshToken, CancellationToken ct) =>
        PostAsync(tokenUrl, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = clientId, ["client_secret"] = clientSecret,
        }, ct);

    public Task<TokenOutcome> ClientCredentialsAsync(string tokenUrl, string clientId, string clientSecret, string? scope, CancellationToken ct)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = clientSecret };
        if (!string.IsNullOrEmpty(scope)) form["scope"] = scope;
        return PostAsync(tokenUrl, form, ct);
    }

    public Task<TokenOutcome> JwtBearerAsync(string tokenUrl, string assertion, CancellationToken ct) =>
        PostAsync(tokenUrl, new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer", ["assertion"] = assertion,
        }, ct);

    /// <summary>RFC 7009; Revoked when the provider answered 200, BlockedHost when the outbound guard refused the destination.</summary>
    public async Task<Revocation> RevokeAsync(string revokeUrl, string clientId, string clientSecret, string token, string hint, CancellationToken ct)
    {
        if (!IsHttpUrl(revokeUrl)) return new Revocation(false, null);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(options.Value.TokenRequestTimeout);
            using var response = await outbound.CreateClient().PostAsync(revokeUrl, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["token"] = token, ["token_type_hint"] = hint, ["client_id"] = clientId, ["client_secret"] = clientSecret,
            }), cts.Token);
            return new Revocation(response.IsSuccessStatusCode, null);
        }
        catch (OutboundBlockedException e)
        {
            logger.LogWarning("Token revocation at {Host} refused: not an allowed destination", e.Host);
            return new Revocation(false, e.Host);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Token revocation at {Host} failed: {Error}", HostOf(revokeUrl), e.GetType().Name);
            return new Revocation(false, null);
        }
    }

    /// <summary>A token response larger than this is not one (they are a few kilobytes); it is refused unread.</summary>
    public const int MaxResponseBytes = 256 * 1024;

    public sealed record Revocation(bool Revoked, string? BlockedHost);

    private async Task<TokenOutcome> PostAsync(string url, Dictionary<string, string> form, CancellationToken ct)
    {
        // A URL that cannot be built is the integration's misconfiguration: answered, never thrown.
        if (!IsHttpUrl(url)) return TokenOutcome.Fail(TokenFailureKind.Rejected, "invalid_token_url");
        HttpResponseMessage? response = null;
        string? body;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(options.Value.TokenRequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            response = await outbound.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            body = await ReadBoundedAsync(response.Content, cts.Token);
        }
        catch (OutboundBlockedException e)
        {
            logger.LogWarning("Token request to {Host} refused: not an allowed destination", e.Host);
            return TokenOutcome.Blocked(e.Host);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            response?.Dispose();
            logger.LogWarning("Token request to {Host} failed: {Error}", HostOf(url), e.GetType().Name);
            return TokenOutcome.Fail(TokenFailureKind.Transient, e is OperationCanceledException ? "timeout" : "network_error");
        }
        using (response)
        {
            if (body is null)
            {
                logger.LogWarning("Token endpoint {Host} answered more than {Max} bytes", HostOf(url), MaxResponseBytes);
                return TokenOutcome.Fail(TokenFailureKind.Transient, "invalid_token_response");
            }
            var json = TryParse(body);
            if (response.IsSuccessStatusCode)
            {
                if (json is not { ValueKind: JsonValueKind.Object } o || !o.TryGetProperty("access_token", out var at) || at.ValueKind != JsonValueKind.String
                    || at.GetString()!.Length == 0 || Str(o, "token_type") is { Length: > MaxTokenTypeLength } || Str(o, "scope") is { Length: > MaxScopeLength })
                    return TokenOutcome.Fail(TokenFailureKind.Transient, "invalid_token_response");
                double? seconds = null;
                if (o.TryGetProperty("expires_in", out var ei))
                {
                    if (ei.ValueKind == JsonValueKind.Number && ei.TryGetDouble(out var s)) seconds = s;
                    else if (ei.ValueKind == JsonValueKind.String && double.TryParse(ei.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var s2)) seconds = s2;
                }
                // Any number a provider sends must not overflow DateTime: at most ten years ahead, never in the past.
                DateTime? expires = seconds is { } sec && double.IsFinite(sec) ? DateTime.UtcNow.AddSeconds(Math.Clamp(sec, 0, 315_360_000)) : null;
                return TokenOutcome.Ok(new TokenSet(at.GetString()!, Str(o, "refresh_token"), Str(o, "token_type"), expires, Str(o, "scope")));
            }
            var error = json is { ValueKind: JsonValueKind.Object } e2 ? Str(e2, "error") : null;
            error = SafeCode(error) ?? $"http_{(int)response.StatusCode}";
            logger.LogWarning("Token endpoint {Host} answered {Status} {Error}", HostOf(url), (int)response.StatusCode, error);
            if (response.StatusCode is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
                return TokenOutcome.Fail(TokenFailureKind.Transient, error);
            return TokenOutcome.Fail(error == "invalid_grant" ? TokenFailureKind.InvalidGrant : TokenFailureKind.Rejected, error);
        }
    }

    // The stored columns' limits (OAuthConnection): a longer value is no valid response, and would fail the write.
    private const int MaxTokenTypeLength = 40, MaxScopeLength = 2000;

    /// <summary>The body as UTF-8 (whatever charset it claims), or null when it is larger than <see cref="MaxResponseBytes"/>.</summary>
    private static async Task<string?> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        if (content.Headers.ContentLength > MaxResponseBytes) return null;
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var copy = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (copy.Length + read > MaxResponseBytes) return null;
            copy.Write(chunk, 0, read);
        }
        return System.Text.Encoding.UTF8.GetString(copy.GetBuffer(), 0, (int)copy.Length);
    }

    private static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "https" or "http" && u.Host.Length > 0;

    private static JsonElement? TryParse(string body)
    {
        try { return JsonDocument.Parse(body).RootElement.Clone(); }
        catch (JsonException) { return null; }
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Provider error codes are echoed to callers and logs only when they look like codes.</summary>
    public static string? SafeCode(string? code) =>
        code is { Length: > 0 and <= 64 } && code.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.')
            ? code : null;

    private static string HostOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.Authority : "?";
}
