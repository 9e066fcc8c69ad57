using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Providers;

/// <summary>An account's own providers: catalog entries (same schema) visible only in that account's catalog.</summary>
public static class ProvidersEndpoints
{
    public static IEndpointRouteBuilder MapProviders(this IEndpointRouteBuilder api)
    {
        var g = api.MapGroup("/providers").WithTags("Custom providers");
        // Custom providers belong to the whole account (every project's catalog shows them): project-restricted keys
        // may read them but not create, change or delete them.
        g.MapPost("/", Create).RequireScope(Scopes.IntegrationsWrite).AccountWide().ReadsBody().AcceptsJson<ProviderDefinition>()
            .WithName("CreateProvider").WithSummary("Define a custom provider (a catalog entry for this account only)");
        g.MapGet("/", List).RequireScope(Scopes.Read).WithName("ListProviders").WithSummary("List this account's custom providers");
        g.MapGet("/{name}", Get).RequireScope(Scopes.Read).WithName("GetProvider").WithSummary("Get a custom provider");
        g.MapPut("/{name}", Update).RequireScope(Scopes.IntegrationsWrite).AccountWide().ReadsBody().AcceptsJson<ProviderDefinition>()
            .WithName("UpdateProvider").WithSummary("Replace a custom provider's definition (the name cannot change)");
        g.MapDelete("/{name}", Delete).RequireScope(Scopes.IntegrationsWrite).AccountWide()
            .WithName("DeleteProvider").WithSummary("Delete a custom provider (refused while it is installed)");
        return api;
    }

    /// <summary>What the custom-provider handlers use.</summary>
    public sealed record ProviderServices(Tenant Tenant, SwitchboardDb Db, IStoreWriter Writer, AccountCatalog Catalog, CustomProviderValidator Validator,
        CancellationToken Aborted);

    public static async Task<Results<Created<JsonObject>, ProblemHttpResult>> Create(HttpRequest request, [AsParameters] ProviderServices s)
    {
        var (tenant, db, writer, catalog, validator, ct) = (s.Tenant, s.Db, s.Writer, s.Catalog, s.Validator, s.Aborted);
        var body = await JsonBody.ReadAsync(request, allowEmpty: false, ct);
        if (body.Problem is not null) return body.Problem;
        var (provider, errors) = validator.Validate(body.Root!.Value);
        if (provider is null) return Problems.Validation(errors);
        if (catalog.BuiltIn.Find(provider.Name) is not null)
            return Problems.Conflict("provider_exists", "Provider exists", $"'{provider.Name}' is a built-in provider; choose another name.");
        var accountId = tenant.AccountId;
        if (await db.Set<CustomProvider>().AnyAsync(c => c.AccountId == accountId && c.Name == provider.Name, ct))
            return Problems.Conflict("provider_exists", "Provider exists", $"This account already has a provider '{provider.Name}'.");
        var now = DateTime.UtcNow;
        var row = new CustomProvider
        {
            Id = Guid.CreateVersion7(), AccountId = accountId, Name = provider.Name, DefinitionJson = Canonical(provider), CreatedAt = now, UpdatedAt = now,
        };
        try
        {
            await writer.WriteAsync(async (tx, token) =>
            {
                tx.Db.Add(row);
                AuditLog.Record(tx.Db, tenant.Actor, accountId, "provider.created", null, provider.Name, row.Id.ToString(),
                    new { provider.AuthType, params_ = provider.Params.Select(p => p.Name), secrets = provider.Secrets.Select(s => s.Name) });
                await tx.Db.SaveChangesAsync(token);
                catalog.Changed(tx, accountId);
            }, ct);
        }
        catch (DbUpdateException)
        {
            return Problems.Conflict("provider_exists", "Provider exists", $"This account already has a provider '{provider.Name}'.");
        }
        return TypedResults.Created($"/api/v1/providers/{provider.Name}", View(row));
    }

    public static async Task<Ok<ProviderListView>> List(Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var rows = await db.Set<CustomProvider>().AsNoTracking().Where(c => c.AccountId == accountId).OrderBy(c => c.Name).ToListAsync(ct);
        return TypedResults.Ok(new ProviderListView(rows.Select(View).ToList()));
    }

    public static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> Get(string name, Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var row = await db.Set<CustomProvider>().AsNoTracking().FirstOrDefaultAsync(c => c.AccountId == accountId && c.Name == name, ct);
        return row is null ? Problems.NotFound("provider", name) : TypedResults.Ok(View(row));
    }

    public static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> Update(string name, HttpRequest request, [AsParameters] ProviderServices s)
    {
        var (tenant, db, writer, catalog, validator, ct) = (s.Tenant, s.Db, s.Writer, s.Catalog, s.Validator, s.Aborted);
        var accountId = tenant.AccountId;
        if (!await db.Set<CustomProvider>().AnyAsync(c => c.AccountId == accountId && c.Name == name, ct)) return Problems.NotFound("provider", name);
        var body = await JsonBody.ReadAsync(request, allowEmpty: false, ct);
        if (body.Problem is not null) return body.Problem;
        var (provider, errors) = validator.Validate(body.Root!.Value);
        if (provider is null) return Problems.Validation(errors);
        if (provider.Name != name)
            return Problems.Validation([new FieldError("name", "immutable", "A provider's name cannot change; create a new provider instead.")]);
        var updated = await writer.WriteAsync(async (tx, token) =>
        {
            var row = await tx.Db.Set<CustomProvider>().FirstOrDefaultAsync(c => c.AccountId == accountId && c.Name == name, token);
            if (row is null) return null;
            row.DefinitionJson = Canonical(provider);
            row.UpdatedAt = DateTime.UtcNow;
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "provider.updated", null, name, row.Id.ToString(), new { provider.AuthType });
            await tx.Db.SaveChangesAsync(token);
            catalog.Changed(tx, accountId);
            return row;
        }, ct);
        return updated is null ? Problems.NotFound("provider", name) : TypedResults.Ok(View(updated));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, Tenant tenant, AccountCatalog catalog,
        IStoreWriter writer, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        return await writer.WriteAsync<Results<NoContent, ProblemHttpResult>>(async (tx, token) =>
        {
            var row = await tx.Db.Set<CustomProvider>().FirstOrDefaultAsync(c => c.AccountId == accountId && c.Name == name, token);
            if (row is null) return Problems.NotFound("provider", name);
            if (await tx.Db.Integrations.AnyAsync(i => i.AccountId == accountId && i.Provider == name, token))
                return Problems.Conflict("provider_in_use", "Provider in use", "An integration of this provider exists; remove it first.");
            tx.Db.Remove(row);
            AuditLog.Record(tx.Db, tenant.Actor, accountId, "provider.deleted", null, name, row.Id.ToString());
            await tx.Db.SaveChangesAsync(token);
            catalog.Changed(tx, accountId);
            return TypedResults.NoContent();
        }, ct);
    }

    private static readonly JsonSerializerOptions Storage = new(ProviderCatalog.Json)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static string Canonical(ProviderDefinition p) => JsonSerializer.Serialize(p, Storage);

    private static JsonObject View(CustomProvider row)
    {
        var o = JsonNode.Parse(row.DefinitionJson)!.AsObject();
        o.Remove("$schema");
        o["id"] = row.Id.ToString();
        o["custom"] = true;
        o["created_at"] = row.CreatedAt;
        o["updated_at"] = row.UpdatedAt;
        return o;
    }
}

public sealed record ProviderListView(IReadOnlyList<JsonObject> Providers);
