using Switchboard.Http;
using static Switchboard.Http.HtmlPage;

namespace Switchboard.OAuth;

/// <summary>
/// How the browser legs answer. With the session's redirectUri, a redirect carrying status=success or status=error and
/// the error code. Without one, the hosted pages' layout: a success page, or a failure page with the code and a 4xx/5xx
/// status. A client that does not ask for HTML (Accept without text/html) gets the failure as problem+json instead.
/// </summary>
public static class OAuthPages
{
    public static IResult Finish(HttpContext http, string? redirectUri, string? error, bool again)
    {
        // Sessions made before redirect URIs had to be ASCII may hold one a Location header cannot carry: show the page.
        if (redirectUri is not null && redirectUri.All(char.IsAscii))
        {
            var query = error is null
                ? new[] { new KeyValuePair<string, string>("status", "success") }
                : [new("status", "error"), new("error", error)];
            return TypedResults.Redirect(OAuthFlow.WithQuery(redirectUri, query));
        }
        if (error is null)
            return Success(200, "Connected", again
                ? "This connection is already complete. You can close this window."
                : "The connection was authorised. You can close this window.");
        return Refusal(http, StatusOf(error), error, "Connection failed", ExplanationOf(error) + " Close this window and start again from the application.");
    }

    /// <summary>A refusal or failure as a page for browsers, as problem+json for everyone else.</summary>
    public static IResult Refusal(HttpContext http, int status, string code, string title, string text)
    {
        if (!IsWanted(http.Request)) return Problems.Make(status, code, title, text);
        return new HtmlPage(status, title, $"""
            <h1>{H(title)}</h1>
            <p>{H(text)}</p>
            <p class="meta">Error code: <code>{H(code)}</code></p>
            """);
    }

    /// <summary>Refusals of the request are 4xx; what failed on the provider's side is 502, on this side 503.</summary>
    public static int StatusOf(string error) => error switch
    {
        "session_expired" or "session_used" => 410,
        "state_replayed" => 409,
        "integration_unavailable" or "integration_not_active" or "user_deleted" => 409,
        "provider_unavailable" or "token_exchange_failed" or "invalid_provider_url" => 502,
        "encryption_unavailable" or "decryption_failed" or "server_error" => 503,
        _ => 400,
    };

    private static string ExplanationOf(string error) => error switch
    {
        "access_denied" => "Access was not granted at the provider.",
        "session_expired" => "This authorization link has expired.",
        "session_used" => "This authorization link has already been used.",
        "state_replayed" => "This authorization response has already been used.",
        "issuer_mismatch" => "The authorization response did not come from the expected provider.",
        "integration_unavailable" or "integration_not_active" => "The integration is no longer available for connections.",
        "user_deleted" => "The user this authorization was for has been removed.",
        "invalid_provider_url" => "The integration's provider address is not a valid URL.",
        "provider_unavailable" => "The provider could not be reached or did not answer properly.",
        "token_exchange_failed" => "The provider refused to complete the authorization.",
        "encryption_unavailable" or "decryption_failed" => "The service cannot read or store credentials right now.",
        "server_error" => "The service could not complete the authorization.",
        _ => "The connection could not be authorised.",
    };
}
