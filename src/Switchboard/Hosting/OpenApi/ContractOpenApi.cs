using Microsoft.AspNetCore.OpenApi;

namespace Switchboard.Hosting.OpenApi;

/// <summary>
/// The API contract (/openapi/v1.json, checked in as openapi/v1.json): what each route takes and answers, derived from
/// endpoint metadata by conventions that hold for every route (authentication, path ids, bodies, idempotency), plus
/// <see cref="RouteSpecifics"/> for the few answers a convention cannot see.
/// </summary>
public static class ContractOpenApi
{
    public static IServiceCollection AddContractOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddSchemaTransformer<ContractSchemas>();
            o.AddOperationTransformer<ContractOperations>();
            o.AddDocumentTransformer<ContractDocument>();
        });
}
