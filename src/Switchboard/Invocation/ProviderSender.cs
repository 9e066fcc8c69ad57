using System.Net;
using Microsoft.Extensions.Options;
using Switchboard.Http.Outbound;

namespace Switchboard.Invocation;

/// <summary>How one send to a provider ended: an answer (headers read), or why there is none.</summary>
public readonly record struct SendResult(HttpResponseMessage? Response, SendFailure Failure, string? BlockedHost, int Attempts);

public enum SendFailure { None, Unreachable, TimedOut, Blocked }

/// <summary>
/// Sends a request to a provider through the one guarded outbound client, returning once the response headers are
/// read. Retries (only as many as the caller allows) after a connection failure, a 429 or a 503, honouring Retry-After
/// up to <see cref="InvocationOptions.MaxRetryDelay"/>: a provider that asks for longer gets its answer passed back.
/// </summary>
public sealed class ProviderSender(OutboundHttp outbound, IOptions<InvocationOptions> options, TimeProvider time)
{
    private InvocationOptions O => options.Value;

    /// <param name="make">Builds the request of each attempt (a request message is sent once); null stops with Unreachable.</param>
    /// <param name="deadline">Cancelled at the timeout; <paramref name="aborted"/> is the caller going away.</param>
    public async Task<SendResult> SendAsync(Func<CancellationToken, Task<HttpRequestMessage>> make, int retries,
        CancellationToken deadline, CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline, aborted);
        var ct = linked.Token;
        var client = outbound.CreateClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? wait;
            try
            {
                using var request = await make(ct);
                if (request.Headers.UserAgent.Count == 0) request.Headers.TryAddWithoutValidation("User-Agent", O.UserAgent);
                var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                wait = attempt <= retries && response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable
                    ? DelayFor(response, attempt) : null;
                if (wait is null) return new(response, SendFailure.None, null, attempt);
                response.Dispose();
            }
            catch (OutboundBlockedException e) { return new(null, SendFailure.Blocked, e.Host, attempt); }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !aborted.IsCancellationRequested)
            {
                return new(null, SendFailure.TimedOut, null, attempt);
            }
            catch (HttpRequestException) when (!aborted.IsCancellationRequested)
            {
                if (attempt > retries) return new(null, SendFailure.Unreachable, null, attempt);
                wait = Backoff(attempt);
            }
            try { await Task.Delay(wait.Value, time, ct); }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !aborted.IsCancellationRequested)
            {
                return new(null, SendFailure.TimedOut, null, attempt);
            }
        }
    }

    /// <summary>The provider's Retry-After when it is within the cap, else null (no retry); without one, a backoff.</summary>
    private TimeSpan? DelayFor(HttpResponseMessage response, int attempt)
    {
        var retryAfter = response.Headers.RetryAfter;
        TimeSpan? asked = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - time.GetUtcNow() : null);
        if (asked is null) return Backoff(attempt);
        if (asked.Value < TimeSpan.Zero) return TimeSpan.Zero;
        return asked.Value <= O.MaxRetryDelay ? asked.Value : null;
    }

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(O.MaxRetryDelay.Ticks, O.RetryDelay.Ticks * (1L << Math.Min(attempt - 1, 20))));

    /// <summary>The whole body if it is at most <paramref name="limit"/> bytes, else null (reading stops past the limit).</summary>
    public static async Task<byte[]?> ReadCappedAsync(HttpResponseMessage response, long limit, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > limit) return null;
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
