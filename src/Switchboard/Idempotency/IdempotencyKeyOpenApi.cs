using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Http;

namespace Switchboard.Idempotency;

/// <summary>Documents the optional Idempotency-Key header on every POST, PATCH and DELETE that accepts it.</summary>
public sealed class IdempotencyKeyOpenApi : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var description = context.Description;
        var method = description.HttpMethod ?? "";
        var refuses = description.ActionDescriptor.EndpointMetadata.OfType<RefusesIdempotencyKey>().Any();
        if (refuses || !(HttpMethods.IsPost(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method))) return Task.CompletedTask;

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyMiddleware.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Retry-safe writes: the same key with the same request replays the stored response (Idempotency-Replayed: true); " +
                          "with another request it is 422, while the first is still running 409. Keys are per account, kept 24 h, at most 255 characters.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = IdempotencyMiddleware.MaxKeyLength },
        });
        return Task.CompletedTask;
    }
}
