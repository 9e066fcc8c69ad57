namespace Switchboard.Http.Outbound;

/// <summary>
/// The guarded client refused a destination: every address the host resolved to is blocked (or, for plain http,
/// outside the allow-list). Carries the host name as the request named it, never a resolved address.
/// </summary>
public sealed class OutboundBlockedException(string host)
    : HttpRequestException(HttpRequestError.ConnectionError,
        $"Outbound request to '{host}' refused: it does not resolve to an allowed destination (Switchboard:Outbound:AllowedNetworks).")
{
    public string Host { get; } = host;

    /// <summary>The refusal behind an exception, if any (SDKs and handlers may wrap it).</summary>
    public static OutboundBlockedException? FindIn(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 10; e = e.InnerException, depth++)
            if (e is OutboundBlockedException blocked) return blocked;
        return null;
    }
}
