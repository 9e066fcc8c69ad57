using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Http;
using Switchboard.Idempotency;
using Switchboard.Tenancy;

namespace Switchboard.Hosting.OpenApi;

/// <summary>
/// Per operation, from its endpoint metadata: security (a route that requires authorization takes an API key as
/// X-API-Key or Bearer, or the admin token with X-Account-ID; other routes none), every problem+json answer the
/// middleware and conventions give it (each listing its codes), query parameter names and types as bound, and the
/// route-specific parts of <see cref="RouteSpecifics"/>. New routes get the same without doing anything.
/// </summary>
public sealed class ContractOperations : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var method = description.HttpMethod ?? "GET";
        var document = context.Document;
        var authenticated = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();

        operation.Security = authenticated
            ?
            [
                Requirement(document, ContractDocument.BearerScheme),
                Requirement(document, ContractDocument.ApiKeyScheme),
                Requirement(document, ContractDocument.BearerScheme, ContractDocument.AccountScheme),
            ]
            : [];
        if (authenticated && metadata.OfType<RequiredScope>().FirstOrDefault() is { } scope)
            operation.Description = Join(operation.Description, $"Requires the `{scope.Scope}` scope (or `admin`)."
                + (metadata.OfType<AccountWideWrite>().Any() ? " Refused to a key restricted to one project." : ""));

        NormaliseQueryParameters(operation);
        DeclareRouteParameters(operation, description.RelativePath ?? "");

        var problems = new SortedDictionary<int, SortedSet<string>>();
        void Add(int status, params string[] codes)
        {
            if (!problems.TryGetValue(status, out var set)) problems[status] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.UnionWith(codes);
        }
        if (authenticated)
        {
            Add(401, "missing_credentials", "invalid_api_key", "revoked_api_key");
            Add(403, "insufficient_scope");
            Add(400, "missing_account_header");
            Add(404, "account_not_found");
            Add(429, "rate_limited");
        }
        if (NotFoundCodes(description.RelativePath ?? "") is { Length: > 0 } missing) Add(404, missing);
        if (IsWrite(method))
        {
            // Routes that read a body and routes that take none answer a bad body alike (BodylessWriteMiddleware).
            Add(400, "malformed_json", "validation_failed");
            if (metadata.OfType<ReadsRequestBody>().Any()) Add(400, "missing_body");
            Add(409, "concurrent_modification");
            Add(413, "payload_too_large");
            Add(415, "unsupported_media_type");
        }
        if (operation.Parameters?.Any(p => p.Name == IdempotencyMiddleware.Header) == true)
        {
            Add(400, "invalid_idempotency_key");
            Add(409, "idempotency_request_in_flight");
            Add(422, "idempotency_key_reused");
        }
        if (metadata.OfType<RefusesIdempotencyKey>().Any()) Add(400, "idempotency_key_not_supported");
        foreach (var p in operation.Parameters?.Where(p => p.In == ParameterLocation.Query) ?? [])
            Add(400, p.Name == "limit" ? "invalid_limit" : p.Name == "cursor" ? "invalid_cursor" : "invalid_filter");
        Add(503, "database_unavailable");

        var specific = RouteSpecifics.For(operation.OperationId);
        foreach (var (status, codes) in specific.Problems) Add(status, codes);

        operation.Responses ??= new OpenApiResponses();
        // Problem answers declared by metadata (Produces…/ProblemDetails) are re-described with the shared schema.
        foreach (var key in operation.Responses.Keys.Where(k => int.TryParse(k, out var s) && s >= 400).ToList())
            if (!problems.ContainsKey(int.Parse(key))) problems[int.Parse(key)] = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (status, codes) in problems)
            operation.Responses[status.ToString()] = ProblemResponse(document, status, codes);

        if (specific.Apply is not null) await specific.Apply(operation, context);
    }

    private static bool IsWrite(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    /// <summary>The not-found codes of the resources a route names, from its path parameters.</summary>
    private static string[] NotFoundCodes(string path)
    {
        var codes = new List<string>();
        if (path.Contains("{projectId}", StringComparison.Ordinal)) codes.Add("project_not_found");
        if (path.Contains("{id}", StringComparison.Ordinal) || path.Contains("{provider}", StringComparison.Ordinal)
            || path.Contains("{customerIntegrationId}", StringComparison.Ordinal)) codes.Add("integration_not_found");
        if (path.Contains("{userId}", StringComparison.Ordinal)) codes.Add("user_not_found");
        if (path.StartsWith("api/v1/api-keys/", StringComparison.Ordinal)) { codes.Remove("integration_not_found"); codes.Add("api_key_not_found"); }
        if (path.StartsWith("api/v1/providers/", StringComparison.Ordinal)) codes.Add("provider_not_found");
        return [.. codes];
    }

    public static OpenApiResponse ProblemResponse(OpenApiDocument? document, int status, IEnumerable<string> codes)
    {
        var list = codes.ToList();
        var response = new OpenApiResponse
        {
            Description = Reason(status) + (list.Count > 0 ? ": " + string.Join(", ", list.Select(c => $"`{c}`")) : ""),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ContractDocument.ProblemSchema, document) },
            },
        };
        if (status is 429 or 503)
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before retrying.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                },
            };
        return response;
    }

    private static string Reason(int status) => status switch
    {
        400 => "Bad request", 401 => "Not authenticated", 403 => "Not allowed", 404 => "Not found", 409 => "Conflict",
        410 => "Gone", 413 => "Body too large", 415 => "Unsupported media type", 422 => "Unprocessable",
        429 => "Too many requests", 502 => "Upstream refused or failed", 503 => "Temporarily unavailable",
        _ => "Error",
    };

    /// <summary>
    /// Query values bind case-insensitively, so a record member `Limit` is the documented `limit`; paging limits are
    /// integers (a non-integer is `400 invalid_limit`).
    /// </summary>
    private static void NormaliseQueryParameters(OpenApiOperation operation)
    {
        foreach (var p in operation.Parameters?.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Query) ?? [])
        {
            p.Name = SnakeCase(p.Name!);
            if (p.Name == "limit")
                p.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer, Minimum = "1", Maximum = Paging.MaxLimit.ToString(),
                    Default = JsonValue.Create(Paging.DefaultLimit),
                };
            else if (p.Name == "cursor") p.Description ??= "The next_cursor of the previous page.";
        }
    }

    /// <summary>A route value a filter reads (e.g. {projectId}, checked by the project filter) is a path parameter too.</summary>
    private static void DeclareRouteParameters(OpenApiOperation operation, string path)
    {
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(path, "\\{([A-Za-z0-9_]+)\\}"))
        {
            var name = m.Groups[1].Value;
            operation.Parameters ??= [];
            if (operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name)) continue;
            operation.Parameters.Insert(0, new OpenApiParameter
            {
                Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
    }

    private static string SnakeCase(string name) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    private static OpenApiSecurityRequirement Requirement(OpenApiDocument? document, params string[] schemes)
    {
        var requirement = new OpenApiSecurityRequirement();
        foreach (var s in schemes) requirement[new OpenApiSecuritySchemeReference(s, document)] = [];
        return requirement;
    }

    private static string Join(string? a, string b) => string.IsNullOrEmpty(a) ? b : a + "\n\n" + b;
}
