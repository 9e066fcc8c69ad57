using Microsoft.AspNetCore.OpenApi;

namespace Switchboard.Idempotency;

public static class IdempotencyServices
{
    public static IServiceCollection AddIdempotency(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<IdempotencyOptions>(configuration.GetSection(IdempotencyOptions.Section));
        services.AddSingleton<IdempotencySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<IdempotencySweeper>());
        services.Configure<OpenApiOptions>("v1", o => o.AddOperationTransformer<IdempotencyKeyOpenApi>());
        return services;
    }

    /// <summary>After UseAuthentication/UseAuthorization: it needs the caller's account.</summary>
    public static IApplicationBuilder UseIdempotency(this IApplicationBuilder app) => app.UseMiddleware<IdempotencyMiddleware>();
}
