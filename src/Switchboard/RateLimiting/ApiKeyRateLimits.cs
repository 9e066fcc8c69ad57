using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Switchboard.Http;
using Switchboard.Tenancy;

namespace Switchboard.RateLimiting;

/// <summary>
/// ASP.NET Core's rate limiter with one token bucket per API key (the admin token: per account it acts on), in this
/// node's memory: no database round trip per request; with N nodes behind a balancer a caller gets up to N times the
/// configured rate. Runs after authentication; unauthenticated requests are left to the 401 answer. Over the limit:
/// 429, Retry-After and a problem body. The partitioned limiter drops a key's bucket once it has been full (idle) for
/// 10 s, so the buckets kept are bounded by the keys active lately.
/// </summary>
public sealed class ApiKeyRateLimits(IOptions<RateLimitOptions> options) : IConfigureOptions<RateLimiterOptions>
{
    private long _bucketsMade;

    /// <summary>How many buckets have been made (a key seen anew, or again after its bucket was dropped).</summary>
    public long BucketsMade => Interlocked.Read(ref _bucketsMade);

    public void Configure(RateLimiterOptions limiter)
    {
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(PartitionOf);
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.OnRejected = (rejected, _) => RejectAsync(rejected);
    }

    private RateLimitPartition<string> PartitionOf(HttpContext http)
    {
        var o = options.Value;
        var tenant = http.RequestServices.GetRequiredService<Tenant>();
        if (!o.Enabled || o.PermitsPerSecond <= 0 || !tenant.IsAuthenticated) return RateLimitPartition.GetNoLimiter("unlimited");
        return RateLimitPartition.GetTokenBucketLimiter(tenant.KeyId ?? "admin:" + tenant.AccountId, _ =>
        {
            Interlocked.Increment(ref _bucketsMade);
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, o.Burst),
                // One token per 1/rate seconds, added in proportion to the time passed (the limiter ticks every 100 ms).
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1 / o.PermitsPerSecond),
                QueueLimit = 0,
            };
        });
    }

    private async ValueTask RejectAsync(OnRejectedContext rejected)
    {
        var o = options.Value;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var http = rejected.HttpContext;
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
        services.AddSingleton<ApiKeyRateLimits>();
        services.AddSingleton<IConfigureOptions<RateLimiterOptions>>(sp => sp.GetRequiredService<ApiKeyRateLimits>());
        services.AddRateLimiter(_ => { });
        return services;
    }

    /// <summary>After UseAuthentication: buckets are keyed by the caller's API key.</summary>
    public static IApplicationBuilder UseRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();
}
