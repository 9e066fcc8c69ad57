using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Switchboard.Invocation;

public static class InvocationServices
{
    /// <summary>Tool listing and calls, credential injection and the provider sender (shared by tools, the proxy and MCP).</summary>
    public static IServiceCollection AddInvocation(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<InvocationOptions>(configuration.GetSection(InvocationOptions.Section));
        services.AddSingleton<IValidateOptions<InvocationOptions>, InvocationOptionsValidator>();
        services.AddOptions<InvocationOptions>().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CredentialInjector>();
        services.AddSingleton<ProviderSender>();
        services.AddScoped<ProjectTools>();
        services.AddScoped<ToolInvoker>();
        services.AddScoped<ProviderAccess>();
        return services;
    }
}
