using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Switchboard.Events;
using Switchboard.Http.Outbound;
using Switchboard.Jobs;
using Switchboard.Sealing;

namespace Switchboard.Webhooks;

/// <summary>
/// The delivery worker of one node: fans committed events out to deliveries and sends the deliveries that are due,
/// up to Concurrency at a time, each claimed through the database (<see cref="WebhookOutbox"/>) so that any number of
/// nodes can run it. Woken at once by a commit on this node (<see cref="EventSignal"/>), otherwise every PollInterval.
/// Requests go only through the guarded outbound client (no redirects, no internal addresses).
/// </summary>
public sealed class WebhookDispatcher(WebhookOutbox outbox, OutboundHttp http, SecretBox box, TimeProvider time,
    IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> logger) : PeriodicJob(logger)
{
    private WebhookOptions O => options.Value;
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.Concurrency));
    private readonly List<Task> _inFlight = [];
    private TaskCompletionSource _slotFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override bool Enabled => O.Enabled;
    protected override TimeSpan Interval => O.PollInterval > TimeSpan.FromMilliseconds(20) ? O.PollInterval : TimeSpan.FromMilliseconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = Task.WhenAny(EventSignal.Next, Volatile.Read(ref _slotFreed).Task);
            await RunSafelyAsync(stoppingToken);
            try
            {
                if (await Task.WhenAny(wake, Task.Delay(Interval, stoppingToken)) == wake && O.WakeCoalesce > TimeSpan.Zero)
                    await Task.Delay(O.WakeCoalesce, stoppingToken);
            }
            catch (OperationCanceledException) { break; }
        }
        Task[] running;
        lock (_inFlight) running = [.. _inFlight];
        await Task.WhenAll(running);
    }

    /// <summary>Fans out and starts every due delivery it can; returns when nothing is left to start.</summary>
    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var fanned = await outbox.FanOutAsync(O.BatchSize, ct);
            var started = await StartDueAsync(ct);
            if (fanned == 0 && started == 0) return;
        }
    }

    private async Task<int> StartDueAsync(CancellationToken ct)
    {
        var free = Math.Min(_slots.CurrentCount, O.BatchSize);
        var claimed = await outbox.ClaimDueAsync(free, O.ClaimDuration, ct);
        foreach (var c in claimed)
        {
            await _slots.WaitAsync(ct);
            var task = Task.Run(() => DeliverAsync(c, ct), CancellationToken.None);
            lock (_inFlight) _inFlight.Add(task);
            _ = task.ContinueWith(t =>
            {
                lock (_inFlight) _inFlight.Remove(t);
                _slots.Release();
                Interlocked.Exchange(ref _slotFreed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }, TaskScheduler.Default);
        }
        return claimed.Count;
    }

    private async Task DeliverAsync(WebhookOutbox.Claimed c, CancellationToken ct)
    {
        try
        {
            var result = await SendAsync(c, ct);
            if (!await outbox.RecordAsync(c, result, CancellationToken.None))
                logger.LogWarning("Webhook delivery {Delivery}: the claim ran out before the result was recorded", c.DeliveryId);
        }
        catch (Exception e)
        {
            // The claim runs out and the attempt is made again (by this node or another): at least once, never lost.
            logger.LogWarning("Webhook delivery {Delivery} failed before its result was recorded: {Error}", c.DeliveryId, e.GetType().Name);
        }
    }

    /// <summary>One signed POST of the event's payload; the answer reduced to a status code, a latency and an error code.</summary>
    public async Task<WebhookOutbox.AttemptResult> SendAsync(WebhookOutbox.Claimed c, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        var keys = new List<byte[]> { KeyOf(c, c.Secret, "secret") };
        if (c.PreviousSecret is not null && c.PreviousSecretUntil > now.UtcDateTime) keys.Add(KeyOf(c, c.PreviousSecret, "previous_secret"));

        using var request = new HttpRequestMessage(HttpMethod.Post, c.Url) { Content = new StringContent(c.Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", c.MessageId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Header(keys, c.MessageId, timestamp, c.Body));
        request.Headers.UserAgent.ParseAdd("Switchboard-Webhooks/1");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(O.Timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var retryAfter = RetrySchedule.RetryAfterOf(response.Headers.RetryAfter, time.GetUtcNow());
            return new(timestamp, now.UtcDateTime, status, Ms(clock), status is >= 200 and < 300 ? null : $"http_{status}", retryAfter);
        }
        catch (OutboundBlockedException)
        {
            return new(timestamp, now.UtcDateTime, null, Ms(clock), "outbound_blocked", null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(timestamp, now.UtcDateTime, null, Ms(clock), "timeout", null);
        }
        catch (HttpRequestException)
        {
            return new(timestamp, now.UtcDateTime, null, Ms(clock), "connection_failed", null);
        }
    }

    private byte[] KeyOf(WebhookOutbox.Claimed c, byte[] sealedSecret, string field) =>
        WebhookSignature.KeyOf(box.DecryptString(sealedSecret, SealedFields.WebhookSecretAad(c.AccountId, c.EndpointId, field)));

    private static int Ms(Stopwatch s) => (int)Math.Min(int.MaxValue, s.ElapsedMilliseconds);
}
