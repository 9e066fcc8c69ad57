using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Http.Outbound;

namespace Switchboard.Integrations;

/// <summary>
/// POST /integrations/{id}/install: params (stored as they are) and secrets (encrypted) checked against the provider's
/// schema, an optional per-install API base URL, and the origins auth URLs may redirect to. A member left out keeps what
/// is stored; fields such as id or status are ignored. Its checks depend on the provider, so it is read after the provider
/// is found (<see cref="ReadAsync"/>); this record is what the OpenAPI document shows.
/// </summary>
public sealed record InstallIntegrationRequest(JsonObject? Params, Dictionary<string, string>? Secrets, string? BaseUrlOverride,
    IReadOnlyList<string>? AllowedRedirectOrigins)
{
    /// <summary>The checked install, or the problem that refuses it (nothing is written then).</summary>
    public sealed record Checked(InstallRequest Install, BaseUrlOverride BaseUrl, AllowedRedirectOrigins Origins);

    public static async Task<(Checked? Install, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, ProviderDefinition provider,
        InstallRules rules, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync(request, allowEmpty: true, ct);
        if (body.Problem is not null) return (null, body.Problem);
        var (install, errors) = InstallRequest.Parse(body.Root, provider, rules.Outbound);
        if (install is null) return (null, Problems.Validation(errors));
        var baseUrl = Catalog.BaseUrlOverride.Read(body.Root, rules.Outbound);
        if (baseUrl.Error is not null) return (null, Problems.Validation([baseUrl.Error]));
        if (baseUrl.Value is not null && !rules.BaseUrls.Allowed)
            return (null, Problems.BadRequest("base_url_override_not_allowed", "base_url_override not allowed",
                "This server does not accept base_url_override (Switchboard:Health:AllowBaseUrlOverride)."));
        var origins = Http.AllowedRedirectOrigins.Read(body.Root, RedirectUris.LoopbackHttpAllowed(rules.Environment));
        if (origins.Errors.Count > 0) return (null, Problems.Validation(origins.Errors));
        return (new Checked(install, baseUrl, origins), null);
    }
}

/// <summary>What checking an install body needs of the server: its outbound rules, its base-URL policy, its environment.</summary>
public sealed record InstallRules(OutboundPolicy Outbound, BaseUrlOverridePolicy BaseUrls, IHostEnvironment Environment);
