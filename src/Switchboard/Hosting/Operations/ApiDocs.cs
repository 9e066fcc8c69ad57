using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Switchboard.Hosting.Operations;

/// <summary>
/// /docs (Scalar) as a self-hosted product shows it: no hosted-service features (AI agent, MCP, developer toolbar with
/// its SDK generation and deploy buttons), no telemetry, no fonts from a CDN; both key schemes offered.
/// </summary>
public static class ApiDocs
{
    public static void Configure(ScalarOptions o) => o
        .WithTitle("Switchboard API")
        .DisableAgent()
        .DisableMcp()
        .HideDeveloperTools()
        .DisableTelemetry()
        .DisableDefaultFonts()
        .AddPreferredSecuritySchemes(["bearer"])
        .WithDefaultHttpClient(ScalarTarget.Shell, ScalarClient.Curl);
}

/// <summary>
/// The README's first calls: a getting-started text on the document and the install example on its operation.
/// </summary>
public sealed class ApiDocsTransformer : IOpenApiDocumentTransformer
{
    public const string InstallPath = "/api/v1/integrations/{id}/install";

    public static readonly JsonObject InstallExample = new()
    {
        ["params"] = new JsonObject { ["api_version"] = "2024-06-20" },
        ["secrets"] = new JsonObject { ["api_key"] = "sk_test_4eC39HqLyjWDarjtT1zdp7dc" },
    };

    public const string GettingStarted = """
        Every call takes an API key (`sk_live_…`, printed by the first start, or made with `Switchboard keys create`),
        as `Authorization: Bearer <key>` or `X-API-Key: <key>`.

        ```bash
        KEY=sk_live_...   # printed by the first start
        API=http://127.0.0.1:5080/api/v1

        curl -s "$API/integrations?category=payments" -H "Authorization: Bearer $KEY"
        curl -s "$API/integrations/stripe" -H "Authorization: Bearer $KEY"
        curl -s -X POST "$API/integrations/stripe/install" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
          -d '{"params": {"api_version": "2024-06-20"}, "secrets": {"api_key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"}}'
        ```

        Errors are RFC 9457 `application/problem+json` with a stable `code`. `/healthz` is liveness, `/readyz` readiness.
        """;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        // The key schemes and each operation's security (either scheme, alternatives) come from the contract
        // (Hosting/OpenApi/ContractDocument, ContractOperations); this adds the README's first calls only.
        document.Info.Description = GettingStarted;

        if (document.Paths?.TryGetValue(InstallPath, out var path) == true
            && path.Operations?.TryGetValue(HttpMethod.Post, out var install) == true)
        {
            if (install.RequestBody is OpenApiRequestBody { Content: { } content } body && content.TryGetValue("application/json", out var media))
            {
                media.Example = InstallExample.DeepClone();
            }
            else if (install.RequestBody is null)
            {
                install.RequestBody = new OpenApiRequestBody
                {
                    Description = "params (stored as they are) and secrets (encrypted, never returned); see the provider's param_schema and secret_schema.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new OpenApiMediaType { Example = InstallExample.DeepClone() },
                    },
                };
            }
        }
        return Task.CompletedTask;
    }
}
