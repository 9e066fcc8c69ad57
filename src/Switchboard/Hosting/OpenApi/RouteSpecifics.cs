using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.Catalog;
using Switchboard.Integrations;
using Switchboard.Store;
using static Switchboard.Hosting.OpenApi.ContractSchemas;

namespace Switchboard.Hosting.OpenApi;

/// <summary>
/// What conventions cannot see, by operation id: the domain problems a handler answers (e.g. 409 invalid_transition),
/// query enums, and the routes whose answers are not plain JSON (the list with two shapes, the OAuth browser legs).
/// A route declaring its problems itself (<c>.ProducesProblem(502)</c>) needs no entry; ids here are checked to exist.
/// </summary>
public static class RouteSpecifics
{
    public sealed record Specific(IReadOnlyList<(int Status, string[] Codes)> Problems, Func<OpenApiOperation, OpenApiOperationTransformerContext, Task>? Apply = null);

    private static readonly (int, string[])[] Credentials =
    [
        (400, ["unsupported_auth_type"]),
        (409, ["integration_not_active", "connection_not_active", "connection_expired"]),
        (500, ["decryption_failed"]),
        (502, ["provider_rejected", "outbound_blocked"]),
        (503, ["provider_unavailable", "encryption_unavailable"]),
    ];

    private static readonly string[] OAuthLegFailures409 = ["integration_unavailable", "integration_not_active", "user_deleted", "state_replayed"];

    public static readonly IReadOnlyDictionary<string, Specific> ById = new Dictionary<string, Specific>
    {
        ["ListIntegrations"] = new([], ListIntegrationsShapes),
        ["BrowseProjectCatalog"] = new([], (op, _) => Done(() => QueryEnum(op, "status", Constants(typeof(IntegrationStatus))))),
        ["InstallIntegration"] = new([(400, ["base_url_override_not_allowed"]), (503, ["encryption_unavailable"])]),
        ["UpdateIntegrationLifecycle"] = new([(409, ["invalid_transition"])]),
        ["DisconnectIntegration"] = new([(409, ["invalid_transition"])]),
        ["CheckIntegrationHealth"] = new([(409, ["integration_not_active"]), (502, ["outbound_blocked"]), (503, ["encryption_unavailable"])]),
        ["GetIntegrationCredentials"] = new(Credentials),
        ["GetIntegrationUserCredentials"] = new([.. Credentials, (400, ["invalid_user_id"])]),
        ["ListIntegrationUsers"] = new([(400, ["unsupported_auth_type"])]),
        ["GetIntegrationUser"] = new([(400, ["invalid_user_id"])]),
        ["DeleteIntegrationUser"] = new([(400, ["invalid_user_id"]), (502, ["outbound_blocked"]), (503, ["encryption_unavailable"])]),
        ["GenerateIntegrationUserAuthUrl"] = new(
        [
            (400, ["invalid_redirect_uri", "redirect_uri_not_allowed", "unsupported_auth_type", "invalid_user_id"]),
            (409, ["integration_not_active"]), (503, ["encryption_unavailable"]),
        ]),
        ["CreateInstallUrl"] = new([(409, ["integration_not_active"])]),
        ["CreateProject"] = new([(409, ["project_name_taken"])]),
        ["RenameProject"] = new([(409, ["project_name_taken"])]),
        ["DeleteProject"] = new([(409, ["default_project", "project_has_api_keys", "project_has_integrations"])]),
        ["CreateProvider"] = new([(409, ["provider_exists"])]),
        ["DeleteProvider"] = new([(409, ["provider_in_use"])]),
        ["CreateApiKey"] = new([]),
        ["ListAuditEvents"] = new([]),
        ["OAuthStart"] = new(
            [(404, ["authorization_session_not_found"]), (409, OAuthLegFailures409), (410, ["session_expired", "session_used"]),
             (502, ["invalid_provider_url"]), (503, ["encryption_unavailable"])],
            (op, _) => Done(() => BrowserLeg(op, "The browser is sent to the provider's consent page (or, for a link already used, to the outcome it ended in).", success: false))),
        ["OAuthCallback"] = new(
            [(400, ["invalid_state", "access_denied", "invalid_request", "issuer_mismatch"]), (409, OAuthLegFailures409),
             (410, ["session_expired", "session_used"]), (502, ["provider_unavailable", "token_exchange_failed", "invalid_provider_url", "outbound_blocked"]),
             (503, ["encryption_unavailable", "decryption_failed", "server_error"])],
            (op, _) => Done(() => BrowserLeg(op, "The browser is sent to the session's redirectUri with status=success or status=error&error=<code>.", success: true))),
    };

    public static Specific For(string? operationId) => operationId is not null && ById.TryGetValue(operationId, out var s) ? s : new([]);

    /// <summary>
    /// GET /integrations serves two shapes: the Kataven catalog list, or — with the `active` query parameter, or
    /// Accept: application/vnd.toolregistry+json — toolregistry's array of the project's installed integrations.
    /// </summary>
    private static async Task ListIntegrationsShapes(OpenApiOperation op, OpenApiOperationTransformerContext context)
    {
        var doc = context.Document;
        QueryEnum(op, "status", ["available", "installed"]);
        QueryEnum(op, "category", Categories.All);
        op.Parameters!.Add(new OpenApiParameter
        {
            Name = "active", In = ParameterLocation.Query, Required = false,
            Description = "toolregistry: present, the answer is the array of this project's integrations whose active state is the value " +
                          "(the Kataven filters do not apply). Non-boolean: 400 invalid_filter.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Boolean },
        });
        var toolregistry = await context.GetOrCreateSchemaAsync(typeof(List<ToolregistryIntegration>), null, CancellationToken.None);
        toolregistry.Description = "toolregistry's list (with `active`, or Accept: " + ToolregistryList.MediaType + ").";
        op.Responses!["200"] = new OpenApiResponse
        {
            Description = "The Kataven catalog page, or (with `active` or the toolregistry media type in Accept) toolregistry's array.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = new OpenApiSchema { OneOf = [new OpenApiSchemaReference(nameof(IntegrationList), doc), toolregistry] },
                },
                // Asked for by Accept, the toolregistry array comes back under its own media type.
                [ToolregistryList.MediaType] = new() { Schema = toolregistry },
            },
        };
    }

    /// <summary>A hosted-page leg: a redirect, HTML pages for browsers, problem+json for clients that do not ask for HTML.</summary>
    private static void BrowserLeg(OpenApiOperation op, string redirect, bool success)
    {
        op.Responses!.Remove("200");
        op.Responses["302"] = new OpenApiResponse
        {
            Description = redirect,
            Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Location"] = new OpenApiHeader { Required = true, Description = "Where the browser goes next.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        };
        if (success)
            op.Responses["200"] = new OpenApiResponse
            {
                Description = "Without a redirectUri: the hosted page saying the connection is complete (also on a reload).",
                Content = new Dictionary<string, OpenApiMediaType> { ["text/html"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
            };
        foreach (var (status, response) in op.Responses.Where(r => r.Key[0] is '4' or '5'))
            if (response is OpenApiResponse r)
            {
                r.Description += " (an HTML page when the client accepts text/html, otherwise problem+json)";
                r.Content!["text/html"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }
    }

    private static Task Done(Action action)
    {
        action();
        return Task.CompletedTask;
    }

    private static void QueryEnum(OpenApiOperation op, string name, IEnumerable<string> values)
    {
        if (op.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name) is { } p)
            p.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))] };
    }
}
