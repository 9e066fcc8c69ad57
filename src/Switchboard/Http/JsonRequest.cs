using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace Switchboard.Http;

/// <summary>
/// A typed request body, read by <see cref="JsonBody"/> (which answers too large, wrong media type, malformed JSON with
/// line and byte, and duplicate properties) and then checked by the record's own validator, field by field, with
/// today's stable error codes. Messages never echo a secret value.
/// </summary>
public interface IJsonRequest<TSelf> where TSelf : IJsonRequest<TSelf>
{
    /// <summary>The record and the fields that are missing or invalid (none when it is valid); the root is a JSON object.</summary>
    static abstract (TSelf? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root);
}

public static class JsonRequests
{
    /// <summary>Reads and checks a required body of type <typeparamref name="T"/>.</summary>
    public static async Task<(T? Request, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : IJsonRequest<T>
    {
        var body = await JsonBody.ReadAsync(request, allowEmpty: false, ct);
        if (body.Problem is not null) return (default, body.Problem);
        return Parse<T>(body.Root!.Value);
    }

    public static (T? Request, ProblemHttpResult? Problem) Parse<T>(JsonElement root) where T : IJsonRequest<T>
    {
        if (root.ValueKind != JsonValueKind.Object) return (default, Problems.Validation([new("$", "wrong_type", "The body must be a JSON object.")]));
        var (parsed, errors) = T.Parse(root);
        return parsed is null || errors.Count > 0 ? (default, Problems.Validation(errors)) : (parsed, null);
    }

    /// <summary>
    /// Declares <typeparamref name="T"/> as the route's application/json request body in the OpenAPI document. Only the
    /// document: the handler reads the body itself, so the answers above stay what they are.
    /// </summary>
    public static TBuilder AcceptsJson<TBuilder, T>(this TBuilder builder, bool required = true) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new JsonRequestBodyType(typeof(T)),
                new ProducesResponseTypeMetadata(StatusCodes.Status413PayloadTooLarge, typeof(ProblemDetails), ["application/problem+json"]),
                new ProducesResponseTypeMetadata(StatusCodes.Status415UnsupportedMediaType, typeof(ProblemDetails), ["application/problem+json"]))
            .AddOpenApiOperationTransformer(async (operation, context, ct) => operation.RequestBody = new OpenApiRequestBody
        {
            Required = required,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct) } },
        });

    /// <inheritdoc cref="AcceptsJson{TBuilder, T}"/>
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder builder, bool required = true) => builder.AcceptsJson<RouteHandlerBuilder, T>(required);
}

/// <summary>Endpoint metadata: the record a route's JSON body is read into (for the OpenAPI document).</summary>
public sealed record JsonRequestBodyType(Type Type);
