using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Switchboard.RateLimiting;

/// <summary>
/// One token bucket per caller, in this node's memory: no database round trip per request. With N nodes
/// behind a balancer a caller gets up to N times the configured rate.
/// </summary>
public sealed class TokenBuckets(IOptions<RateLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one token; when none is left, says how long until the next one.</summary>
    public bool TryTake(string caller, out TimeSpan retryAfter)
    {
        var o = options.Value;
        var burst = Math.Max(1, o.Burst);
        var bucket = _buckets.GetOrAdd(caller, static (_, b) => new Bucket(b), burst);
        return bucket.TryTake(Stopwatch.GetTimestamp(), o.PermitsPerSecond, burst, out retryAfter);
    }

    private sealed class Bucket(double tokens)
    {
        private readonly Lock _gate = new();
        private double _tokens = tokens;
        private long _last = Stopwatch.GetTimestamp();

        public bool TryTake(long now, double rate, int burst, out TimeSpan retryAfter)
        {
            lock (_gate)
            {
                _tokens = Math.Min(burst, _tokens + Stopwatch.GetElapsedTime(_last, now).TotalSeconds * rate);
                _last = now;
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    retryAfter = TimeSpan.Zero;
                    return true;
                }
                retryAfter = TimeSpan.FromSeconds((1 - _tokens) / rate);
                return false;
            }
        }
    }
}
