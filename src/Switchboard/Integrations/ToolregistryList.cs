using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Integrations;

/// <summary>
/// toolregistry's GET /integrations?active=: the project's installed (customer) integrations. It shares its path with
/// the Kataven catalog list; a request carrying the `active` query parameter, or asking for
/// <see cref="MediaType"/> in Accept, gets this shape.
/// </summary>
public static class ToolregistryList
{
    public const string MediaType = "application/vnd.toolregistry+json";

    public static bool IsRequested(HttpRequest request) => request.Query.ContainsKey("active") || AcceptsMediaType(request);

    public static bool AcceptsMediaType(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains(MediaType, StringComparison.OrdinalIgnoreCase);

    public static async Task<(List<ToolregistryIntegration>? Items, ProblemHttpResult? Problem)> ListAsync(HttpRequest request, TenantCatalog c)
    {
        var active = true;
        var raw = request.Query["active"].ToString();
        if (request.Query.ContainsKey("active") && !bool.TryParse(raw, out active))
            return (null, Problems.BadRequest("invalid_filter", "Invalid active filter", "active must be true or false."));

        var (accountId, projectId) = (c.AccountId, c.ProjectId);
        var rows = await c.Db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == projectId)
            .OrderBy(i => i.Provider)
            .Select(i => new { i.Id, i.Provider, i.Status, i.CreatedAt, i.UpdatedAt })
            .ToListAsync(c.Aborted);
        var providers = (await c.ProvidersAsync()).ToDictionary(p => p.Name);
        var items = rows.Where(r => (r.Status == IntegrationStatus.Active) == active && providers.ContainsKey(r.Provider))
            .Select(r =>
            {
                var p = providers[r.Provider];
                return new ToolregistryIntegration(p.Name, r.Id.ToString(), r.Status == IntegrationStatus.Active, p.DisplayName,
                    p.Description, p.LogoUrl, HostOf(p.ApiBaseUrl), r.UpdatedAt, r.CreatedAt, AuthTypeOf(p.AuthType));
            }).ToList();
        return (items, null);
    }

    public static string HostOf(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        var rest = start < 0 ? url : url[(start + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>toolregistry's enum: NONE, API_TOKEN, OAUTH2, AWS_ASSUME_ROLE, GOOGLE_SERVICE_ACCOUNT_OAUTH.</summary>
    public static string AuthTypeOf(string authType) => authType switch
    {
        AuthTypes.ApiKey or AuthTypes.Basic => "API_TOKEN",
        AuthTypes.OAuth2 or AuthTypes.OAuth2ClientCredentials => "OAUTH2",
        AuthTypes.GoogleServiceAccount => "GOOGLE_SERVICE_ACCOUNT_OAUTH",
        AuthTypes.AwsAssumeRole => "AWS_ASSUME_ROLE",
        _ => "NONE",
    };
}

public sealed record ToolregistryIntegration(
    [property: JsonPropertyName("integrationId")] string IntegrationId,
    [property: JsonPropertyName("customerIntegrationId")] string CustomerIntegrationId,
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("logoUrl")] string LogoUrl,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("updatedAt")] DateTime UpdatedAt,
    [property: JsonPropertyName("createdAt")] DateTime CreatedAt,
    [property: JsonPropertyName("authType")] string AuthType);
