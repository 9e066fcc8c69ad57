using System.Globalization;
using Microsoft.Extensions.Options;
using Switchboard.Http;
using Switchboard.Tenancy;

namespace Switchboard.RateLimiting;

/// <summary>
/// Per API key token bucket (the admin token is limited per account it acts on). Runs after authentication;
/// unauthenticated requests are left to the 401 answer. Over the limit: 429, Retry-After and a problem body.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, TokenBuckets buckets, IOptions<RateLimitOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var o = options.Value;
        var tenant = http.RequestServices.GetRequiredService<Tenant>();
        if (!o.Enabled || o.PermitsPerSecond <= 0 || !tenant.IsAuthenticated)
        {
            await next(http);
            return;
        }

        var caller = tenant.KeyId ?? "admin:" + tenant.AccountId;
        if (buckets.TryTake(caller, out var retryAfter))
        {
            await next(http);
            return;
        }

        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Make(429, "rate_limited", "Too many requests",
            $"This API key is limited to {o.PermitsPerSecond.ToString(CultureInfo.InvariantCulture)} requests per second (bursts of {o.Burst}). Retry after {seconds} s.",
            new Dictionary<string, object?> { ["retry_after"] = seconds }).ExecuteAsync(http);
    }
}

public static class RateLimitServices
{
    public static IServiceCollection AddRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RateLimitOptions>(configuration.GetSection(RateLimitOptions.Section));
        services.AddSingleton<TokenBuckets>();
        return services;
    }

    /// <summary>After UseAuthentication: buckets are keyed by the caller's API key.</summary>
    public static IApplicationBuilder UseRateLimits(this IApplicationBuilder app) => app.UseMiddleware<RateLimitMiddleware>();
}
