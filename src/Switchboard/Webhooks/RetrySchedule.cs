using System.Globalization;
using System.Net.Http.Headers;

namespace Switchboard.Webhooks;

/// <summary>
/// The Standard Webhooks retry schedule: the first attempt at once, then after 5 s, 5 min, 30 min, 2 h, 5 h and every
/// 10 h until about three days have passed (12 attempts over 2 d 19 h 35 min), each delay with ±10 % jitter so that a
/// failing receiver's backlog does not come back all at once.
/// </summary>
public static class RetrySchedule
{
    public static readonly IReadOnlyList<TimeSpan> Delays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(10), TimeSpan.FromHours(10), TimeSpan.FromHours(10), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    public static int MaxAttempts => Delays.Count + 1;

    /// <summary>A Retry-After asked for longer than this is held to it (and still retried on the schedule's count).</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(10);

    /// <summary>The delay before attempt <paramref name="attemptsMade"/> + 1, or null when the schedule is used up.</summary>
    public static TimeSpan? After(int attemptsMade, TimeSpan? retryAfter = null)
    {
        if (attemptsMade >= MaxAttempts) return null;
        if (retryAfter is { } asked) return asked < TimeSpan.Zero ? TimeSpan.Zero : asked > MaxRetryAfter ? MaxRetryAfter : asked;
        var delay = Delays[attemptsMade - 1];
        return delay * (0.9 + Random.Shared.NextDouble() * 0.2);
    }

    /// <summary>Retry-After as seconds or as an HTTP date, relative to <paramref name="now"/>; null when absent or unreadable.</summary>
    public static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - now,
        _ => null,
    };
}
