using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>Switchboard with the delivery worker polling often (a commit on this node wakes it anyway).</summary>
public class WebhookApp : SwitchboardApp
{
    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var s = base.Settings;
            s["Switchboard:Webhooks:PollInterval"] = "00:00:00.100";
            return s;
        }
    }
}

/// <summary>The delivery worker on a fake clock: retries become due only when the test moves the clock.</summary>
public sealed class FakeClockWebhookApp : WebhookApp
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
