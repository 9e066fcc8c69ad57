using Microsoft.Extensions.Options;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Health;
using Switchboard.Http.Outbound;
using Switchboard.Idempotency;
using Switchboard.Invocation;
using Switchboard.Mcp;
using Switchboard.RateLimiting;
using Switchboard.Tenancy;
using Switchboard.Webhooks;

namespace Switchboard.Hosting.Operations;

/// <summary>
/// Every settings section is read once before the node serves anything, so a value that does not convert
/// (Switchboard:ListCacheTtl=maybe) or fails its rule stops the start with one line naming it. Features bind their
/// options lazily; without this, such a value surfaced as an unhandled exception with a stack trace at host start, or
/// as a 500 on the first request that read it.
/// </summary>
public static class SettingsCheck
{
    /// <summary>Each options type bound from configuration (a test checks that every type with a Section is here).</summary>
    public static readonly IReadOnlyList<(string Section, Type Type)> Sections =
    [
        (SwitchboardOptions.Section, typeof(SwitchboardOptions)),
        (BaseUrlOverrideOptions.Section, typeof(BaseUrlOverrideOptions)),
        (HealthOptions.Section, typeof(HealthOptions)),
        (OAuthOptions.Section, typeof(OAuthOptions)),
        (OutboundOptions.Section, typeof(OutboundOptions)),
        (IdempotencyOptions.Section, typeof(IdempotencyOptions)),
        (InvocationOptions.Section, typeof(InvocationOptions)),
        (McpOptions.Section, typeof(McpOptions)),
        (RateLimitOptions.Section, typeof(RateLimitOptions)),
        (LoginThrottleOptions.Section, typeof(LoginThrottleOptions)),
        (WebhookOptions.Section, typeof(WebhookOptions)),
    ];

    /// <summary>Conversion: each section bound as the node will bind it. Runs before any service is registered.</summary>
    public static void VerifyConversions(IConfiguration configuration)
    {
        foreach (var (section, type) in Sections)
        {
            try
            {
                configuration.GetSection(section).Get(type);
            }
            catch (InvalidOperationException e)
            {
                // The binder's own first line names the setting, the value and the type it needed; an inner
                // FormatException only repeats it. Values that fail conversion belong to typed (non-string) settings.
                throw new StartupFailedException("invalid setting: " + e.Message);
            }
        }
    }

    /// <summary>Rules: each options type built once through the container, so its validators run now.</summary>
    public static void VerifyRules(IServiceProvider services)
    {
        foreach (var (_, type) in Sections)
        {
            try
            {
                _ = ((IOptions<object>)services.GetRequiredService(typeof(IOptions<>).MakeGenericType(type))).Value;
            }
            catch (OptionsValidationException e)
            {
                var message = "invalid setting: " + e.Message;
                services.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard").LogCritical("Giving up: {Message}", message);
                throw new StartupFailedException(message);
            }
        }
    }
}
