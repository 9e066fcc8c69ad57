using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;
using Switchboard.Webhooks;

namespace Switchboard.Tests.Webhooks;

/// <summary>Retries on the Standard Webhooks schedule, driven by a fake clock (TimeProvider): nothing is retried before it is due.</summary>
[Collection("webhooks")]
public sealed class WebhookRetryTests(Receivers receivers, FakeClockWebhookApp app) : IClassFixture<FakeClockWebhookApp>
{
    private static string Name() => "r" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The signature as the specification defines it, computed here independently of the service's code.</summary>
    private static void AssertSigned(Received r, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{r.Id}.{r.Timestamp}.{r.Body}")));
        Assert.Contains(expected, r.Signature.Split(' '));
    }

    private async Task<IReadOnlyList<Received>> WaitForAsync(string name, int count) =>
        await Eventually.WaitAsync(() => Task.FromResult(receivers.Dotnet.For(name)), x => x.Count >= count, $"{count} attempts");

    /// <summary>The service has recorded attempt <paramref name="n"/> (and so scheduled the next) — only then may the clock move.</summary>
    private Task RecordedAsync(string accountId, int n) =>
        Eventually.WaitAsync(async () => Assert.Single(await app.StoredDeliveriesAsync(accountId)), d => d.Attempts >= n, $"attempt {n} recorded");

    private async Task NoMoreAsync(string name, int count)
    {
        await Task.Delay(700); // several polls of the worker
        Assert.Equal(count, receivers.Dotnet.For(name).Count);
    }

    [Fact]
    public async Task Failed_attempts_are_retried_when_due_on_the_schedule_and_retry_after_is_honoured()
    {
        var account = await app.CreateAccountAsync();
        var name = Name();
        var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name));
        receivers.Dotnet.SetSecrets(name, endpoint.Secret);
        receivers.Dotnet.Script(name, (500, null), (503, "120"), (204, null));
        await account.InstallStripeAsync();

        var first = (await WaitForAsync(name, 1))[0];
        await RecordedAsync(account.AccountId, 1);
        await NoMoreAsync(name, 1);                      // the second attempt is due 5 s (±10 %) later on the clock
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var second = (await WaitForAsync(name, 2))[1];
        Assert.Equal(first.Id, second.Id);              // webhook-id stable across retries
        Assert.Equal(app.Clock.GetUtcNow().ToUnixTimeSeconds(), long.Parse(second.Timestamp));
        await RecordedAsync(account.AccountId, 2);
        app.Clock.Advance(TimeSpan.FromSeconds(100));   // 503 Retry-After: 120 s, not the schedule's 5 min
        await NoMoreAsync(name, 2);
        app.Clock.Advance(TimeSpan.FromSeconds(25));
        IReadOnlyList<Received> all;
        try { all = await WaitForAsync(name, 3); }
        catch (TimeoutException)
        {
            var d = Assert.Single(await app.StoredDeliveriesAsync(account.AccountId));
            throw new TimeoutException($"no third attempt: clock {app.Clock.GetUtcNow():O}, delivery {d.Status} attempts {d.Attempts} next {d.NextAttemptAt:O} claim {d.ClaimId} last {d.LastStatusCode} {d.LastError}");
        }
        foreach (var r in all) AssertSigned(r, endpoint.Secret);

        var delivery = await Eventually.WaitAsync(async () => Assert.Single(await app.StoredDeliveriesAsync(account.AccountId)),
            d => d.Status == WebhookDeliveryStatus.Delivered, "delivered");
        Assert.Equal(3, delivery.Attempts);
        var attempts = await app.StoredAttemptsAsync(account.AccountId);
        Assert.Equal([500, 503, 204], attempts.Select(a => a.StatusCode ?? 0));
        Assert.Equal(["http_500", "http_503", null], attempts.Select(a => a.Error));
    }

    [Fact]
    public async Task An_endpoint_failing_for_the_whole_schedule_is_disabled_and_audited()
    {
        var account = await app.CreateAccountAsync();
        var name = Name();
        var endpoint = await account.CreateEndpointAsync(receivers.Dotnet.UrlFor(name));
        receivers.Dotnet.SetSecrets(name, endpoint.Secret);
        receivers.Dotnet.Script(name, Enumerable.Repeat((500, (string?)null), RetrySchedule.MaxAttempts).ToArray());
        await account.InstallStripeAsync();

        var total = TimeSpan.Zero;
        for (var n = 1; n <= RetrySchedule.MaxAttempts; n++)
        {
            await WaitForAsync(name, n);
            await RecordedAsync(account.AccountId, n);
            if (n < RetrySchedule.MaxAttempts)
            {
                var step = RetrySchedule.Delays[n - 1] * 1.11;
                total += step;
                app.Clock.Advance(step);
            }
        }
        // 12 attempts over about three days.
        Assert.InRange(total.TotalHours, 60, 80);
        var delivery = Assert.Single(await app.StoredDeliveriesAsync(account.AccountId));
        Assert.Equal(WebhookDeliveryStatus.Failed, delivery.Status);
        Assert.Equal(RetrySchedule.MaxAttempts, delivery.Attempts);
        var row = await app.WithDbAsync(db => db.Set<WebhookEndpoint>().AsNoTracking().SingleAsync(e => e.AccountId == account.AccountId));
        Assert.False(row.Enabled);
        Assert.Equal(WebhookDisabledReason.Failing, row.DisabledReason);
        var audit = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .SingleAsync(e => e.AccountId == account.AccountId && e.Action == "webhook.endpoint.disabled"));
        Assert.Contains("failing", audit.DataJson);
        app.Clock.Advance(TimeSpan.FromHours(20));
        await NoMoreAsync(name, RetrySchedule.MaxAttempts);
    }
}
