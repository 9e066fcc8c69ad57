using Switchboard.Http;
using Switchboard.Tenancy;

namespace Switchboard.Connect;

/// <summary>Connect sessions: the API that makes them, the connect page an end user opens, and /connect.js.</summary>
public static class ConnectEndpoints
{
    /// <param name="app">The root: the pages and the script live outside /api/v1 (they carry no API key).</param>
    /// <param name="api">The /api/v1 group.</param>
    public static void MapConnect(this IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        // The token in the response is a capability that must not be stored, so no Idempotency-Key.
        api.MapPost("/connect/sessions", ConnectSessionsEndpoints.CreateAsync)
            .RequireScope(Scopes.IntegrationsWrite).RefusesIdempotencyKey().ReadsBody().AcceptsJson<ConnectSessionRequest>()
            .WithTags("Connect").WithName("CreateConnectSession").WithSummary("Create a connect session for one end user")
            .WithDescription("Returns a single-use token and connect_url for a page where the end user connects the project's installed integrations " +
                             "(their own API key, or OAuth consent with the operator's OAuth app). Only the token's hash is stored; it expires after " +
                             "expires_in seconds (1800 by default, 60 to 14400) and is used up once a connection completes.");

        var pages = app.MapGroup("/connect").ExcludeFromDescription().AllowAnonymous().WithHostedPageHeaders();
        pages.MapGet("/s/{token}", ConnectSessionPages.ListAsync);
        pages.MapGet("/s/{token}/{provider}", ConnectSessionPages.FormAsync);
        pages.MapPost("/s/{token}/{provider}", ConnectSessionPages.SubmitAsync).DisableAntiforgery().ReadsBody();
        pages.MapGet("/return/{handle}", ConnectSessionPages.ReturnAsync);

        app.MapGet("/connect.js", ConnectScript.Serve).ExcludeFromDescription().AllowAnonymous();
    }
}

/// <summary>/connect.js: the embedded script, served as it is (no framework, no third-party code).</summary>
public static class ConnectScript
{
    private static readonly Lazy<byte[]> Body = new(() =>
    {
        using var stream = typeof(ConnectScript).Assembly.GetManifestResourceStream("Switchboard.Connect.connect.js")
                           ?? throw new InvalidOperationException("connect.js is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static IResult Serve(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "public, max-age=300";
        // Applications load it from their own pages, other origins.
        response.Headers["Cross-Origin-Resource-Policy"] = "cross-origin";
        return TypedResults.Bytes(Body.Value, "text/javascript; charset=utf-8");
    }
}
