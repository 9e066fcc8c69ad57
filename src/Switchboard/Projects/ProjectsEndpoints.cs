using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Projects;

/// <summary>
/// Projects of the caller's account. Reads need "read"; create, rename and delete need "admin" (like API keys).
/// A key restricted to a project sees only that project (others are 404) and cannot create projects (403).
/// </summary>
public static class ProjectsEndpoints
{
    public static IEndpointRouteBuilder MapProjects(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/projects").WithTags("Projects");
        group.MapGet("/", ListProjects).RequireScope(Scopes.Read)
            .WithName("ListProjects").WithSummary("List projects (cursor-paged)");
        group.MapPost("/", CreateProject).RequireScope(Scopes.Admin).AccountWide().ReadsBody().AcceptsJson<ProjectNameRequest>()
            .WithName("CreateProject").WithSummary("Create a project");
        var one = group.MapGroup("/{projectId}").ActsOnProjectInRoute();
        one.MapGet("", GetProject).RequireScope(Scopes.Read)
            .WithName("GetProject").WithSummary("Get a project");
        one.MapPatch("", RenameProject).RequireScope(Scopes.Admin).ReadsBody().AcceptsJson<ProjectNameRequest>()
            .WithName("RenameProject").WithSummary("Rename a project");
        one.MapDelete("", DeleteProject).RequireScope(Scopes.Admin)
            .WithName("DeleteProject").WithSummary("Delete a project")
            .WithDescription("409 for the default project, while any integration of it is active, paused or disconnected, or while an unrevoked API key is restricted to it. Uninstalled (available) integration rows are deleted with it.");
        return api;
    }

    public static async Task<Results<Ok<ProjectPage>, ProblemHttpResult>> ListProjects(
        string? cursor, string? limit, Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var (pageSize, after, pageProblem) = Paging.Parse(limit, cursor);
        if (pageProblem is not null) return pageProblem;

        var accountId = tenant.AccountId;
        var restricted = tenant.RestrictedProjectId;
        var query = db.Projects.AsNoTracking().Where(p => p.AccountId == accountId);
        if (restricted is not null) query = query.Where(p => p.Id == restricted);
        if (after is not null) query = query.Where(p => string.Compare(p.Id, after) > 0);
        var page = await query.OrderBy(p => p.Id).Take(pageSize + 1).ToListAsync(ct);
        string? next = null;
        if (page.Count > pageSize)
        {
            page.RemoveAt(pageSize);
            next = Cursor.Encode(page[^1].Id);
        }
        return TypedResults.Ok(new ProjectPage(page.Select(ProjectView.From).ToArray(), next));
    }

    public static async Task<Results<Ok<Envelope<ProjectView>>, ProblemHttpResult>> GetProject(
        Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var project = await FindAsync(tenant, db, ct);
        return project is null ? Problems.NotFound("project", tenant.ProjectId) : TypedResults.Ok(Envelope.Of(ProjectView.From(project)));
    }

    public static async Task<Results<Created<Envelope<ProjectView>>, ProblemHttpResult>> CreateProject(
        HttpRequest request, Tenant tenant, SwitchboardDb db, IStoreWriter writer, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var (body, problem) = await JsonRequests.ReadAsync<ProjectNameRequest>(request, ct);
        if (problem is not null) return problem;
        var name = body!.Name;
        if (await db.Projects.AnyAsync(p => p.AccountId == accountId && p.Name == name, ct)) return NameTaken(name);

        var now = DateTime.UtcNow;
        var project = new Project { Id = Ids.New("prj"), AccountId = accountId, Name = name, CreatedAt = now, UpdatedAt = now };
        try
        {
            await writer.WriteAsync(async (tx, token) =>
            {
                tx.Db.Projects.Add(project);
                AuditLog.Record(tx.Db, tenant.Actor, accountId, "project.created", project.Id, targetId: project.Id, data: new { project.Name });
                await tx.Db.SaveChangesAsync(token);
            }, ct);
        }
        catch (DbUpdateException)
        {
            if (await NameTakenAsync(db, accountId, name, project.Id, ct)) return NameTaken(name);
            throw;
        }
        return TypedResults.Created($"/api/v1/projects/{project.Id}", Envelope.Of(ProjectView.From(project)));
    }

    public static async Task<Results<Ok<Envelope<ProjectView>>, ProblemHttpResult>> RenameProject(
        HttpRequest request, Tenant tenant, SwitchboardDb db, IStoreWriter writer, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var project = await FindAsync(tenant, db, ct);
        if (project is null) return Problems.NotFound("project", tenant.ProjectId);
        var (body, problem) = await JsonRequests.ReadAsync<ProjectNameRequest>(request, ct);
        if (problem is not null) return problem;
        var name = body!.Name;
        if (project.Name == name) return TypedResults.Ok(Envelope.Of(ProjectView.From(project)));
        if (await db.Projects.AnyAsync(p => p.AccountId == accountId && p.Name == name && p.Id != project.Id, ct)) return NameTaken(name);

        var projectId = project.Id;
        Project? renamed;
        try
        {
            renamed = await writer.WriteAsync(async (tx, token) =>
            {
                var row = await tx.Db.Projects.FirstOrDefaultAsync(p => p.AccountId == accountId && p.Id == projectId, token);
                if (row is null) return null;
                var before = row.Name;
                row.Name = name;
                row.UpdatedAt = DateTime.UtcNow;
                AuditLog.Record(tx.Db, tenant.Actor, accountId, "project.renamed", row.Id, targetId: row.Id,
                    data: new { Before = new { Name = before }, After = new { row.Name } });
                await tx.Db.SaveChangesAsync(token);
                return row;
            }, ct);
        }
        catch (DbUpdateException)
        {
            if (await NameTakenAsync(db, accountId, name, projectId, ct)) return NameTaken(name);
            throw;
        }
        return renamed is null ? Problems.NotFound("project", projectId) : TypedResults.Ok(Envelope.Of(ProjectView.From(renamed)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteProject(
        Tenant tenant, SwitchboardDb db, IStoreWriter writer, IntegrationStore integrations, CancellationToken ct)
    {
        var accountId = tenant.AccountId;
        var project = await FindAsync(tenant, db, ct);
        if (project is null) return Problems.NotFound("project", tenant.ProjectId);
        if (project.IsDefault)
            return Problems.Conflict("default_project", "The default project cannot be deleted", "Every account keeps its default project.");
        var inUse = await db.Integrations.AsNoTracking()
            .Where(i => i.AccountId == accountId && i.ProjectId == project.Id && i.Status != IntegrationStatus.Available)
            .Select(i => i.Provider).OrderBy(p => p).Take(20).ToListAsync(ct);
        if (inUse.Count > 0)
            return Problems.Make(409, "project_has_integrations", "Project has integrations",
                "Uninstall this project's integrations (active, paused or disconnected) before deleting it.",
                new Dictionary<string, object?> { ["providers"] = inUse });
        if (await db.ApiKeys.AnyAsync(k => k.AccountId == accountId && k.ProjectId == project.Id && k.RevokedAt == null, ct))
            return Problems.Conflict("project_has_api_keys", "Project has API keys",
                "Revoke the API keys restricted to this project before deleting it.");

        try
        {
            await writer.WriteAsync(async (tx, token) =>
            {
                // Uninstalled rows (and their kept secrets) go with the project; an install meanwhile fails the delete (below).
                await integrations.DeleteUninstalledAsync(tx, accountId, project.Id, token);
                tx.Db.Projects.Remove(project);
                AuditLog.Record(tx.Db, tenant.Actor, accountId, "project.deleted", project.Id, targetId: project.Id, data: new { project.Name });
                await tx.Db.SaveChangesAsync(token);
            }, ct);
        }
        catch (DbUpdateException)
        {
            if (!await HasIntegrationsAsync(db, accountId, project.Id, ct)) throw;
            return Problems.Conflict("project_has_integrations", "Project has integrations",
                "An integration was installed in this project while it was being deleted.");
        }
        return TypedResults.NoContent();
    }

    /// <summary>The project of the route (<see cref="ProjectRoute"/> has checked the caller may act on it).</summary>
    private static async Task<Project?> FindAsync(Tenant tenant, SwitchboardDb db, CancellationToken ct)
    {
        var (accountId, projectId) = (tenant.AccountId, tenant.ProjectId);
        var query = db.Projects.Where(p => p.AccountId == accountId && p.Id == projectId);
        return await query.AsNoTracking().FirstOrDefaultAsync(ct);
    }

    /// <summary>After a failed save: was it a concurrent create/rename to the same name (the unique index), or something else?</summary>
    private static async Task<bool> NameTakenAsync(SwitchboardDb db, string accountId, string name, string exceptId, CancellationToken ct)
    {
        return await db.Projects.AsNoTracking().AnyAsync(p => p.AccountId == accountId && p.Name == name && p.Id != exceptId, ct);
    }

    private static async Task<bool> HasIntegrationsAsync(SwitchboardDb db, string accountId, string projectId, CancellationToken ct)
    {
        return await db.Integrations.AsNoTracking().AnyAsync(i => i.AccountId == accountId && i.ProjectId == projectId, ct);
    }

    private static ProblemHttpResult NameTaken(string name) =>
        Problems.Conflict("project_name_taken", "Project name taken", $"This account already has a project named '{Problems.Truncate(name, 64)}'.");
}

public sealed record ProjectView(string Id, string Name, bool IsDefault, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static ProjectView From(Project p) => new(p.Id, p.Name, p.IsDefault, p.CreatedAt, p.UpdatedAt);
}

public sealed record ProjectPage(IReadOnlyList<ProjectView> Data, string? NextCursor);
