using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Tenancy;

/// <summary>
/// For routes under /projects/{projectId}/…: the project named in the route must be one the caller may act on (of its
/// account, and its own when its key is restricted to one); otherwise 404 project_not_found before the handler runs.
/// The handler's <see cref="Tenant"/> then acts on that project.
/// </summary>
public static class ProjectRoute
{
    public const string Parameter = "projectId";

    public static TBuilder ActsOnProjectInRoute<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var projectId = http.Request.RouteValues[Parameter] as string ?? "";
            var services = http.RequestServices;
            var tenant = services.GetRequiredService<Tenant>();
            if (!await services.GetRequiredService<ProjectResolver>().CanUseAsync(tenant, services.GetRequiredService<SwitchboardDb>(),
                    projectId, http.RequestAborted))
                return Problems.NotFound("project", projectId);
            tenant.ActOn(projectId);
            return await next(context);
        });
}
