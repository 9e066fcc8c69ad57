using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.OpenApi;
using Switchboard.Sealing;

namespace Switchboard.Hosting;

/// <summary>
/// GET /healthz with ASP.NET Core health checks: the process is live (200) and says whether encryption is available,
/// as {"status": "ok", "encryption": "available" | "unavailable"}. It asks no database (liveness, not readiness).
/// </summary>
public static class Liveness
{
    public const string Path = "/healthz";
    private const string Tag = "live";

    public static IServiceCollection AddLiveness(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<EncryptionCheck>("encryption", tags: [Tag]);
        services.Configure<OpenApiOptions>("v1", o => o.AddDocumentTransformer<LivenessOpenApi>());
        return services;
    }

    public static IEndpointConventionBuilder MapLiveness(this IEndpointRouteBuilder app) =>
        app.MapHealthChecks(Path, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Tag),
            // Live whatever the key ring says: without a key the service still serves everything that needs none.
            ResultStatusCodes = { [HealthStatus.Healthy] = 200, [HealthStatus.Degraded] = 200, [HealthStatus.Unhealthy] = 200 },
            ResponseWriter = WriteAsync,
        }).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        var encryption = report.Entries.TryGetValue("encryption", out var e) && e.Status == HealthStatus.Healthy ? "available" : "unavailable";
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new Body("ok", encryption), Json));
    }

    public sealed record Body(string Status, string Encryption);

    private sealed class EncryptionCheck(KeyRing ring) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct) =>
            Task.FromResult(ring.IsAvailable ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded("no usable encryption key"));
    }

    /// <summary>Health-check endpoints are not described by the API explorer: the route is added to the document here.</summary>
    private sealed class LivenessOpenApi : IOpenApiDocumentTransformer
    {
        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
        {
            var body = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["status"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["encryption"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["available", "unavailable"] },
                },
            };
            document.Paths ??= new OpenApiPaths();
            document.Paths[Path] = new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation>
                {
                    [HttpMethod.Get] = new OpenApiOperation
                    {
                        Summary = "Liveness and encryption status",
                        OperationId = "GetLiveness",
                        Tags = new HashSet<OpenApiTagReference> { new("Service", document) },
                        Security = [],
                        Responses = new OpenApiResponses
                        {
                            ["200"] = new OpenApiResponse
                            {
                                Description = "The service is live.",
                                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = body } },
                            },
                        },
                    },
                },
            };
            return Task.CompletedTask;
        }
    }
}
