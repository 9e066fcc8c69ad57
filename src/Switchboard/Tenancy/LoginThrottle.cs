using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Switchboard.Tenancy;

/// <summary>Settings under Switchboard:LoginThrottle.</summary>
public sealed class LoginThrottleOptions
{
    public const string Section = "Switchboard:LoginThrottle";

    public bool Enabled { get; set; } = true;
    /// <summary>Failed authentications one client address may make within <see cref="Window"/>.</summary>
    public int MaxFailures { get; set; } = 20;
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Counts failed authentications per client address (IPv6 per /64, which one host usually holds whole) in a sliding
/// window. Past the limit, a presented credential that this node cannot decide from memory is refused with 429
/// before the database is asked, so guessing keys costs the attacker time and the database nothing. Keys that
/// authenticated on this node before are still looked up: a valid key behind the same address keeps working.
/// Memory is bounded: the partitioned limiter drops an address's counter once it has been idle for a while.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    private readonly LoginThrottleOptions _options;
    private readonly PartitionedRateLimiter<string>? _failures;
    private readonly ILogger<LoginThrottle> _logger;

    public LoginThrottle(IOptions<LoginThrottleOptions> options, ILogger<LoginThrottle> logger)
    {
        _options = options.Value;
        _logger = logger;
        if (!_options.Enabled) return;
        // The partitioned limiter slides the windows on its own 100 ms tick, which lags a short segment by up to a tick
        // each time: segments of a second or more (ten for the default 10 s) keep that under a tenth.
        var segments = (int)Math.Clamp(_options.Window / TimeSpan.FromSeconds(1), 1, 10);
        var window = new SlidingWindowRateLimiterOptions
        {
            PermitLimit = _options.MaxFailures,
            Window = _options.Window,
            SegmentsPerWindow = segments,
            QueueLimit = 0,
            AutoReplenishment = false,
        };
        _failures = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetSlidingWindowLimiter(client, _ => window));
    }

    /// <summary>How long a throttled client is told to wait: a whole window is always enough for its failures to age out.</summary>
    public TimeSpan RetryAfter => _options.Window;

    /// <summary>Is this client past its failure limit? Takes nothing.</summary>
    public bool IsThrottled(HttpContext http)
    {
        if (_failures is null) return false;
        using var lease = _failures.AttemptAcquire(ClientOf(http), 0);
        return !lease.IsAcquired;
    }

    public void RecordFailure(HttpContext http)
    {
        if (_failures is null) return;
        var client = ClientOf(http);
        using var lease = _failures.AttemptAcquire(client, 1);
        if (lease.IsAcquired && _failures.GetStatistics(client)?.CurrentAvailablePermits == 0)
            _logger.LogWarning("Client {Client} reached {Max} failed authentications within {Window}; further attempts are answered 429",
                client, _options.MaxFailures, _options.Window);
    }

    /// <summary>The partition of a client address: IPv4 whole, IPv6 by its /64; unknown (e.g. a Unix socket) shares one.</summary>
    public static string ClientOf(HttpContext http) => ClientOf(http.Connection.RemoteIpAddress);

    public static string ClientOf(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    public void Dispose() => _failures?.Dispose();
}
