using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Switchboard.Http;
using Switchboard.Integrations;

namespace Switchboard.Hosting.OpenApi;

/// <summary>
/// Document-wide parts: info and license, the server (the public base URL, no trailing slash), the security schemes,
/// the one problem schema, tag descriptions, the list-summary schema, and request-body members that may be left out.
/// </summary>
public sealed class ContractDocument(IOptions<SwitchboardOptions> options, IOptions<JsonOptions> json) : IOpenApiDocumentTransformer
{
    public const string ApiKeyScheme = "api_key", BearerScheme = "bearer", AccountScheme = "account_id";
    public const string ProblemSchema = "Problem", SummarySchema = "IntegrationSummary";

    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Integrations"] = "The Kataven catalog of the project: list, get, install (params plaintext, secrets encrypted), uninstall.",
        ["Integration users"] = "toolregistry.ai end users of an OAuth integration: auth URLs, connections, credentials.",
        ["OAuth flow"] = "The browser legs of an end user's OAuth flow (redirects and hosted pages, no API key).",
        ["Projects"] = "An account's projects (RogerIQ).",
        ["Project integrations"] = "RogerIQ's per-project surface: installed integrations, catalog, lifecycle, install links.",
        ["Health"] = "Credential health of an installed integration.",
        ["Custom providers"] = "An account's own provider definitions, with the catalog's schema.",
        ["API keys"] = "API keys of the account (admin scope); a key's value is shown once.",
        ["Audit"] = "The audit log of the account or one project.",
        ["MCP"] = "MCP connections.",
        ["Tools"] = "Native tools of the installed integrations.",
        ["Service"] = "Liveness.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "Switchboard API";
        document.Info.Description = "A multi-tenant integrations hub: catalog, installs with encrypted secrets, OAuth2 for end users, " +
            "lifecycle, credential health and audit. Every error is RFC 9457 application/problem+json with a stable `code`.";
        document.Info.License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Switchboard" };
        document.Servers = [new OpenApiServer { Url = options.Value.PublicBaseUrl.TrimEnd('/') }];
        document.Security = null;

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-API-Key",
                Description = "An sk_live_… API key.",
            },
            [BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer",
                Description = "An sk_live_… API key, or the operator's admin token (then with X-Account-ID).",
            },
            [AccountScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-Account-ID",
                Description = "The account the admin token acts on (acc_…); only together with the admin token as Bearer.",
            },
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        document.Components.Schemas.Remove("ProblemDetails");
        AddSummarySchema(document);
        NameToolregistryItems(document);
        OptionalRequestMembers(document, context);

        var used = document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags?.AsEnumerable() ?? [])
            .Select(t => t.Name).OfType<string>().ToHashSet();
        document.Tags = new HashSet<OpenApiTag>(used.Order(StringComparer.Ordinal)
            .Select(name => new OpenApiTag { Name = name, Description = TagDescriptions.GetValueOrDefault(name, name) }));
        return Task.CompletedTask;
    }

    /// <summary>RFC 9457 with Switchboard's members; `code` is the stable part clients branch on.</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. `type` is https://switchboard.dev/problems/<code>.",
        Required = new HashSet<string> { "type", "title", "status", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A URI naming the problem type." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "400", Maximum = "599" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[a-z0-9_]+$", Description = "Stable error code (see the README)." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array, Description = "validation_failed: each field that is missing or invalid.",
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object, Required = new HashSet<string> { "field", "code", "message" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["field"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "JSON path of the field ($ for the body)." },
                        ["code"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
            ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["line"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "malformed_json: line of the error (0-based)." },
            ["byte"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "malformed_json: byte in the line." },
        },
    };

    /// <summary>
    /// List pages leave param_schema and secret_schema out (GET one integration has them): the list's items get their
    /// own schema, and the full view declares the two as always present.
    /// </summary>
    private static void AddSummarySchema(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas!;
        if (!schemas.TryGetValue(nameof(IntegrationView), out var viewRef) || viewRef is not OpenApiSchema view
            || !schemas.TryGetValue(nameof(IntegrationList), out var listRef) || listRef is not OpenApiSchema list) return;
        string[] schemaOnly = ["param_schema", "secret_schema"];
        var summary = (OpenApiSchema)view.CreateShallowCopy();
        summary.Properties = view.Properties!.Where(p => !schemaOnly.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        summary.Required = new HashSet<string>(view.Required!.Except(schemaOnly));
        summary.Description = "An integration in a list page: the full view without param_schema and secret_schema.";
        schemas[SummarySchema] = summary;
        foreach (var field in schemaOnly)
        {
            view.Required!.Add(field);
            if (view.Properties![field] is OpenApiSchema s) s.Type &= ~JsonSchemaType.Null;
        }
        list.Properties!["integrations"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference(SummarySchema, document) };
    }

    /// <summary>The toolregistry list's items as a named schema (generated clients get a ToolregistryIntegration type).</summary>
    private static void NameToolregistryItems(OpenApiDocument document)
    {
        if (!document.Paths.TryGetValue("/api/v1/integrations", out var item) || item.Operations is null
            || !item.Operations.TryGetValue(HttpMethod.Get, out var list) || list.Responses is null
            || !list.Responses.TryGetValue("200", out var ok) || ok.Content is null || !ok.Content.TryGetValue("application/json", out var media)
            || media.Schema is not OpenApiSchema { OneOf: { } shapes }) return;
            foreach (var shape in shapes.OfType<OpenApiSchema>().Where(s => s.Items is OpenApiSchema))
            {
                document.Components!.Schemas![nameof(ToolregistryIntegration)] = shape.Items!;
                shape.Items = new OpenApiSchemaReference(nameof(ToolregistryIntegration), document);
            }
    }

    /// <summary>
    /// A request record's nullable member may be left out (the readers treat absent and null alike), although the
    /// schema generator lists every constructor parameter as required.
    /// </summary>
    private void OptionalRequestMembers(OpenApiDocument document, OpenApiDocumentTransformerContext context)
    {
        var nullability = new NullabilityInfoContext();
        foreach (var description in context.DescriptionGroups.SelectMany(g => g.Items))
        {
            if (description.ActionDescriptor.EndpointMetadata.OfType<JsonRequestBodyType>().FirstOrDefault() is not { } body) continue;
            if (Operation(document, description) is not { RequestBody.Content: { } content }) continue;
            if (!content.TryGetValue("application/json", out var media) || Resolve(document, media.Schema) is not { } schema) continue;
            // A named component, so generated clients get a named type (InstallIntegrationRequest, not PostRequestBody).
            if (media.Schema is OpenApiSchema)
            {
                document.Components!.Schemas![body.Type.Name] = schema;
                media.Schema = new OpenApiSchemaReference(body.Type.Name, document);
            }
            if (schema.Required is not { } required) continue;
            foreach (var property in json.Value.SerializerOptions.GetTypeInfo(body.Type).Properties)
            {
                var nullable = property.AttributeProvider switch
                {
                    PropertyInfo p => nullability.Create(p).WriteState == NullabilityState.Nullable || nullability.Create(p).ReadState == NullabilityState.Nullable,
                    _ => false,
                };
                if (nullable) required.Remove(property.Name);
            }
        }
    }

    public static OpenApiOperation? Operation(OpenApiDocument document, Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description)
    {
        var path = "/" + (description.RelativePath ?? "").TrimEnd('/');
        if (document.Paths.TryGetValue(path, out var item) || document.Paths.TryGetValue(path + "/", out item))
            return item.Operations?.GetValueOrDefault(new HttpMethod(description.HttpMethod ?? "GET"));
        return null;
    }

    public static OpenApiSchema? Resolve(OpenApiDocument document, IOpenApiSchema? schema) => schema switch
    {
        OpenApiSchemaReference r when r.Reference.Id is { } id => (document.Components?.Schemas is { } all && all.TryGetValue(id, out var found) ? found : null) as OpenApiSchema,
        OpenApiSchema s => s,
        _ => null,
    };

    internal static JsonNode Str(string s) => JsonValue.Create(s);
}
