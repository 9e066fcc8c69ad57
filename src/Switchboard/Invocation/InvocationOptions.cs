using Microsoft.Extensions.Options;

namespace Switchboard.Invocation;

/// <summary>Settings under Switchboard:Invocation (env: Switchboard__Invocation__Name), for tool calls and the proxy.</summary>
public sealed class InvocationOptions
{
    public const string Section = "Switchboard:Invocation";

    /// <summary>How long a call may wait for the provider (all attempts of a tool call; the response headers of a proxied request).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A provider answer larger than this is 502 provider_response_too_large (a proxied stream is cut at it).</summary>
    public long MaxResponseBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>A proxied request body larger than this is 413 (it is buffered, so retries and SigV4 can send it again).</summary>
    public long MaxRequestBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Retries of a read tool after a connection failure, 429 or 503 (write tools are never retried).</summary>
    public int ReadRetries { get; set; } = 2;

    /// <summary>The longest Retry-After honoured; a provider asking for longer gets its answer passed back instead.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The pause before a retry when the provider gives no Retry-After (doubled per attempt, capped by MaxRetryDelay).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Sent when the request has none (GitHub refuses requests without a User-Agent).</summary>
    public string UserAgent { get; set; } = "Switchboard";
}

public sealed class InvocationOptionsValidator : IValidateOptions<InvocationOptions>
{
    public ValidateOptionsResult Validate(string? name, InvocationOptions o)
    {
        var s = InvocationOptions.Section;
        if (o.Timeout <= TimeSpan.Zero) return ValidateOptionsResult.Fail($"{s}:Timeout must be positive.");
        if (o.MaxResponseBytes < 1) return ValidateOptionsResult.Fail($"{s}:MaxResponseBytes must be positive.");
        if (o.MaxRequestBytes < 1) return ValidateOptionsResult.Fail($"{s}:MaxRequestBytes must be positive.");
        if (o.ReadRetries is < 0 or > 10) return ValidateOptionsResult.Fail($"{s}:ReadRetries must be 0 to 10.");
        if (o.MaxRetryDelay < TimeSpan.Zero || o.RetryDelay < TimeSpan.Zero) return ValidateOptionsResult.Fail($"{s}: retry delays must not be negative.");
        if (string.IsNullOrWhiteSpace(o.UserAgent)) return ValidateOptionsResult.Fail($"{s}:UserAgent must not be empty.");
        return ValidateOptionsResult.Success;
    }
}
