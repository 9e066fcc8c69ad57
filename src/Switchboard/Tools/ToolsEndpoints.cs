using Switchboard.Tenancy;

namespace Switchboard.Tools;

public static class ToolsEndpoints
{
    public static IEndpointRouteBuilder MapTools(this IEndpointRouteBuilder api)
    {
        api.MapGet("/native-tools", () => TypedResults.Ok(new NativeToolList([], null)))
            .RequireScope(Scopes.Read).WithTags("Tools")
            .WithName("ListNativeTools").WithSummary("List native tools (empty until tools ship)");
        return api;
    }
}

public sealed record NativeTool(string Name, string Integration, string Description);

public sealed record NativeToolList(IReadOnlyList<NativeTool> NativeTools, string? NextCursor);
