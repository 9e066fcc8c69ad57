using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.WebUtilities;
using Switchboard.Http;
using Switchboard.Store;
using static Switchboard.Http.HtmlPage;

namespace Switchboard.Connect;

/// <summary>What the application learns when a connect attempt ends (posted to the opener or frame parent, or in the redirect).</summary>
public sealed record ConnectMessage(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("integration")] string? Integration,
    [property: JsonPropertyName("end_user_id")] string EndUserId,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error)
{
    public const string MessageType = "switchboard.connect";
}

/// <summary>
/// The page a connect attempt ends on. Its one script (a constant, allowed by its hash) posts the result to the window
/// that opened the popup, or to the page that frames it, with each of the session's allowed origins as the target
/// origin — the browser delivers it only when that window IS on that origin — then closes the popup. With neither,
/// it goes on to the session's redirect_uri with status (and error) in the query; without one the page itself says
/// what happened. Nothing the application receives is a secret.
/// </summary>
public static class ConnectResult
{
    public const string Script =
        "(function(){var d=document.getElementById('sb-result');if(!d)return;" +
        "var m=JSON.parse(d.getAttribute('data-message')),o=JSON.parse(d.getAttribute('data-origins')),r=d.getAttribute('data-redirect');" +
        "var t=window.opener||(window.parent!==window?window.parent:null);" +
        "if(t&&o.length){for(var i=0;i<o.length;i++){try{t.postMessage(m,o[i]);}catch(e){}}" +
        "if(window.opener){setTimeout(function(){window.close();},100);}return;}" +
        "if(r&&!window.opener&&window.parent===window){window.location.replace(r);}})();";

    public static HtmlPage Page(int status, ConnectSession session, string? integration, string? integrationName, string? error)
    {
        var message = new ConnectMessage(ConnectMessage.MessageType, error is null ? "success" : "error", integration, session.EndUserId, error);
        var origins = ConnectOrigins.Of(session);
        var redirect = session.RedirectUri is null ? null : QueryHelpers.AddQueryString(session.RedirectUri, Query(message));
        var (heading, text) = error is null
            ? ($"{integrationName ?? "The integration"} is connected", "You can close this window and return to the application.")
            : ("The connection was not completed", Explain(error) + " You can close this window and try again from the application.");
        var body = $"""
            <div id="sb-result" hidden data-message="{H(JsonSerializer.Serialize(message))}" data-origins="{H(JsonSerializer.Serialize(origins))}"{(redirect is null ? "" : $" data-redirect=\"{H(redirect)}\"")}></div>
            <div class="{(error is null ? "ok" : "summary")}" role="status">
            <h1>{H(heading)}</h1>
            <p>{H(text)}</p>
            </div>
            {(redirect is null ? "" : $"<p><a href=\"{H(redirect)}\">Return to the application</a></p>")}
            """;
        return new HtmlPage(status, heading, body, frameAncestors: FrameAncestors(session), script: Script);
    }

    /// <summary>Only the session's own origins may frame its pages; none named, none may.</summary>
    public static IReadOnlyList<string>? FrameAncestors(ConnectSession session) => ConnectOrigins.Of(session) is { Count: > 0 } o ? o : null;

    private static Dictionary<string, string?> Query(ConnectMessage m)
    {
        var q = new Dictionary<string, string?> { ["status"] = m.Status };
        if (m.Error is not null) q["error"] = m.Error;
        if (m.Integration is not null) q["integration"] = m.Integration;
        return q;
    }

    public static string Explain(string error) => error switch
    {
        "session_expired" => "This connect link has expired.",
        "session_used" => "This connect link has already been used to connect an integration.",
        "access_denied" => "Access was not granted.",
        "integration_unavailable" or "integration_not_active" => "This integration is not available for connections right now.",
        "provider_unavailable" or "token_exchange_failed" => "The provider could not complete the connection.",
        "encryption_unavailable" or "decryption_failed" => "The service cannot store credentials right now.",
        _ => "Something went wrong while connecting.",
    };
}
