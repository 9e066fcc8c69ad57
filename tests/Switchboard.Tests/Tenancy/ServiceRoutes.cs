using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Tenancy;

/// <summary>One method of one route of the service, as the app's EndpointDataSource has it.</summary>
public sealed record ServiceRoute(string Method, RoutePattern Pattern, bool Anonymous, EndpointMetadataCollection Metadata)
{
    public string Name => $"{Method} {Pattern.RawText}";
    public bool IsWrite => Method is "POST" or "PUT" or "PATCH" or "DELETE";
}

/// <summary>Every route of the service, read from the running app (so a route added later is found too), with concrete paths.</summary>
public static class ServiceRoutes
{
    public static List<ServiceRoute> All(SwitchboardApp app)
    {
        var routes = new List<ServiceRoute>();
        foreach (var endpoint in app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var anonymous = endpoint.Metadata.GetMetadata<RequiredScope>() is null
                            && endpoint.Metadata.GetMetadata<AuthorizationPolicy>() is null
                            && endpoint.Metadata.GetMetadata<IAuthorizeData>() is null;
            routes.AddRange(methods.Select(m => new ServiceRoute(m, endpoint.RoutePattern, anonymous, endpoint.Metadata)));
        }
        return routes.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    public static string PathOf(ServiceRoute route, DefaultProjectResources r)
    {
        var path = new StringBuilder();
        foreach (var segment in route.Pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
                path.Append(part switch
                {
                    RoutePatternLiteralPart l => l.Content,
                    RoutePatternParameterPart p when p.IsCatchAll => "index.html",
                    RoutePatternParameterPart p => Uri.EscapeDataString(ValueFor(route.Name, p.Name, r)),
                    RoutePatternSeparatorPart s => s.Content,
                    _ => throw new InvalidOperationException("unknown route part"),
                });
        }
        return path.Length == 0 ? "/" : path.ToString();
    }

    /// <summary>Route values: the default project's resources. A route with a parameter not named here fails the test until it is added.</summary>
    public static string ValueFor(string route, string parameter, DefaultProjectResources r) => (route, parameter) switch
    {
        (_, "projectId") => r.Account.ProjectId,
        (var x, "id") when x.Contains("/api-keys/") => r.DefaultKeyId,
        (var x, "id") when x.Contains("/mcp-connections/") => r.McpConnectionId,
        (var x, "id") when x.Contains("/integrations/") => r.StripeIntegrationId,
        (var x, "id") when x.Contains("/webhook-endpoints/") => r.WebhookEndpointId,
        // No delivery exists in the fixture: a well-formed unknown one (the endpoint is what must stay out of reach).
        (_, "deliveryId") => "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        (_, "customerIntegrationId") => r.GithubIntegrationId,
        (_, "userId") => DefaultProjectResources.EndUser,
        (_, "provider") => "stripe",
        (var x, "name") when x.Contains("/native-tools/") => "stripe.list_customers",
        (_, "name") => DefaultProjectResources.CustomProvider,
        // Capabilities in the URL, not the key, open these anonymous routes: a well-formed unknown one.
        (_, "handle") => "h" + new string('x', 42),
        (_, "token") => new string('t', 43),
        (_, "documentName") => "v1",
        _ => throw new InvalidOperationException($"{route}: no value for route parameter '{parameter}'; add one to the matrix."),
    };
}
