namespace Switchboard.Http;

/// <summary>Endpoint metadata: the handler reads and checks its request body itself.</summary>
public sealed class ReadsRequestBody;

/// <summary>Endpoint metadata: the body is forwarded as it is (any content type), never parsed (the proxy).</summary>
public sealed class ForwardsRequestBody;

public static class RequestBodyEndpointExtensions
{
    /// <summary>A route that passes its body on unread: documented as any content, no JSON schema to declare.</summary>
    public static TBuilder ForwardsBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ReadsRequestBody(), new ForwardsRequestBody());

    /// <summary>Marks a write route that takes a body; every other write route accepts none (see <see cref="BodylessWriteMiddleware"/>).</summary>
    public static TBuilder ReadsBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ReadsRequestBody());

    /// <summary>After authorization (a 401/403 comes first), before idempotency (a refused body is never stored).</summary>
    public static IApplicationBuilder UseBodylessWrites(this IApplicationBuilder app) => app.UseMiddleware<BodylessWriteMiddleware>();
}

/// <summary>
/// A POST, PUT, PATCH or DELETE route that takes no body (uninstall, install-url, health check, the DELETEs) still
/// answers a body the way the routes that read one do: empty or a JSON object (its members are ignored) is fine;
/// another content type is 415, malformed JSON 400, more than the cap 413, a JSON value that is not an object 400 —
/// and, being refused before the handler runs, writes nothing. New write routes get this unless they declare
/// <see cref="RequestBodyEndpointExtensions.ReadsBody{TBuilder}"/>.
/// </summary>
public sealed class BodylessWriteMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        // Only a route that serves this method: an unknown route or method keeps its 404/405 whatever the body.
        if (!IsWrite(request.Method) || http.GetEndpoint() is not { } endpoint || endpoint.Metadata.GetMetadata<ReadsRequestBody>() is not null
            || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(request.Method, StringComparer.OrdinalIgnoreCase) != true)
        {
            await next(http);
            return;
        }

        request.EnableBuffering();
        var body = await JsonBody.ReadAsync(request, allowEmpty: true, http.RequestAborted);
        var problem = body.Problem ?? (body.Root is { ValueKind: not System.Text.Json.JsonValueKind.Object }
            ? Problems.Validation([new FieldError("$", "wrong_type", "This endpoint takes no body; send none, or an empty JSON object.")])
            : null);
        if (problem is not null)
        {
            await problem.ExecuteAsync(http);
            return;
        }
        request.Body.Position = 0; // later readers (the idempotency hash) see the body as sent
        await next(http);
    }

    private static bool IsWrite(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);
}
