using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;

namespace Switchboard.Http;

/// <summary>
/// A complete server-rendered HTML page (the hosted install page, the OAuth start and callback pages) with the
/// headers every hosted page gets (<see cref="HostedPageHeaders"/>): a CSP that allows nothing but the one inline
/// stylesheet (by hash) and same-origin form posts, no framing, no referrer (the URL is a capability), no caching.
/// Callers pass body HTML they built with <see cref="H"/>.
/// </summary>
public sealed class HtmlPage(int status, string title, string bodyHtml, string? extraFormAction = null,
    IReadOnlyList<string>? frameAncestors = null, string? script = null) : IResult
{
    private const string Css = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f5f7}
        main{max-width:40rem;margin:2rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
        h1{font-size:1.6rem;margin:0 0 .5rem}
        h2{font-size:1.1rem;margin:0 0 .5rem}
        p{margin:.25rem 0 1rem}
        .meta{color:#57606a;font-size:.9rem}
        fieldset{border:1px solid #d0d7de;border-radius:6px;margin:0 0 1.25rem;padding:1rem 1.25rem .25rem}
        legend{font-weight:600;padding:0 .35rem}
        .field{margin:0 0 1.1rem}
        .field.invalid{border-left:4px solid #b42318;padding-left:.75rem}
        label{display:block;font-weight:600}
        .req{font-weight:400;color:#57606a}
        .hint{color:#57606a;font-size:.9rem;margin:.1rem 0 .35rem}
        .hint code{word-break:break-all}
        .error{color:#b42318;font-weight:600;margin:.1rem 0 .35rem}
        input,select,textarea{width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #8c959f;border-radius:6px;background:#fff;color:inherit}
        textarea{min-height:8rem;font-family:ui-monospace,monospace;font-size:.85rem}
        input:focus,select:focus,textarea:focus,button:focus,a:focus{outline:3px solid #fd0;outline-offset:1px}
        button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#0b5cad;color:#fff;cursor:pointer}
        button:hover{background:#084a8c}
        a.button{display:inline-block;font-weight:600;padding:.6rem 1.2rem;border-radius:6px;background:#0b5cad;color:#fff;text-decoration:none}
        a.button:hover{background:#084a8c}
        .offers{list-style:none;margin:0;padding:0}
        .offers li{border:1px solid #d0d7de;border-radius:6px;padding:1rem 1.25rem;margin:0 0 1rem}
        .offers form,.offers p:last-child{margin-bottom:0}
        .summary{border:3px solid #b42318;border-radius:6px;padding:1rem;margin:0 0 1.5rem}
        .summary a{color:#b42318}
        .ok{border-left:6px solid #1a7f37;padding-left:1rem}
        .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        """;

    private static readonly string CssHash = "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Css)));

    public static readonly string ContentSecurityPolicy = Policy(null);

    /// <summary>
    /// Browsers apply form-action to every redirect that follows a form post, so a page whose form leads on
    /// to a provider's authorization server must name that origin too.
    /// </summary>
    private static string Policy(string? extraFormAction, IReadOnlyList<string>? frameAncestors = null, string? script = null) =>
        $"default-src 'none'; style-src '{CssHash}'; " +
        (script is null ? "" : $"script-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)))}'; ") +
        $"form-action 'self'{(extraFormAction is null ? "" : " " + extraFormAction)}; " +
        $"frame-ancestors {(frameAncestors is { Count: > 0 } ? string.Join(' ', frameAncestors) : "'none'")}; base-uri 'none'";

    /// <summary>The policy of a page that runs <paramref name="script"/> (inline, allowed by its hash) and may be framed by <paramref name="frameAncestors"/>.</summary>
    public static string PolicyFor(string? extraFormAction, IReadOnlyList<string>? frameAncestors, string? script) =>
        Policy(extraFormAction, frameAncestors, script);

    public int StatusCode => status;

    /// <summary>HTML-encodes text for element content and attribute values.</summary>
    public static string H(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    public async Task ExecuteAsync(HttpContext http)
    {
        HostedPageHeaders.Apply(http.Response,
            extraFormAction is null && frameAncestors is null && script is null ? ContentSecurityPolicy : Policy(extraFormAction, frameAncestors, script),
            allowFraming: frameAncestors is { Count: > 0 });
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(Render(), Encoding.UTF8, http.RequestAborted);
    }

    public string Render() => $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex, nofollow">
        <title>{H(title)} – Switchboard</title>
        <style>{Css}</style>
        </head>
        <body>
        <main>
        {bodyHtml}
        </main>{(script is null ? "" : $"\n<script>{script}</script>")}
        </body>
        </html>
        """;

    /// <summary>A page that only states what happened (errors, refusals, success).</summary>
    public static HtmlPage Message(int status, string heading, string text) =>
        new(status, heading, $"<h1>{H(heading)}</h1>\n<p>{H(text)}</p>");

    /// <summary>A page that states a success, marked as such.</summary>
    public static HtmlPage Success(int status, string heading, string text) =>
        new(status, heading, $"<div class=\"ok\">\n<h1>{H(heading)}</h1>\n<p>{H(text)}</p>\n</div>");

    /// <summary>True when the client asked for a page (a browser navigating), not for problem+json.</summary>
    public static bool IsWanted(HttpRequest request) =>
        request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
}

/// <summary>
/// The security headers of every hosted page, set on every response of those routes (redirects and problem
/// answers too: their URLs carry capabilities, so nothing of them may be cached, framed or sent on as a referrer).
/// </summary>
public static class HostedPageHeaders
{
    /// <param name="allowFraming">
    /// True for a page whose policy names the origins that may frame it (a connect session's): X-Frame-Options can only
    /// say DENY or SAMEORIGIN, so it is left out and frame-ancestors decides.
    /// </param>
    public static void Apply(HttpResponse response, string? contentSecurityPolicy = null, bool allowFraming = false)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = contentSecurityPolicy ?? HtmlPage.ContentSecurityPolicy;
        if (allowFraming) headers.Remove("X-Frame-Options");
        else headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
    }

    /// <summary>
    /// Sets the headers on every response of the endpoint as it starts (also on a problem the exception handler writes,
    /// which clears the headers set before); a page result has set its own by then, and keeps them.
    /// </summary>
    public static TBuilder WithHostedPageHeaders<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var response = context.HttpContext.Response;
            response.OnStarting(() =>
            {
                if (!response.Headers.ContainsKey("Content-Security-Policy")) Apply(response);
                return Task.CompletedTask;
            });
            return await next(context);
        });
}
