using System.Runtime.ExceptionServices;
using Switchboard.Telemetry;

namespace Switchboard.Http.Outbound;

/// <summary>
/// The one way to send a request on a tenant's behalf. Clients come from IHttpClientFactory (pooled handler, rotated
/// every few minutes so DNS changes are seen); the handler connects only through <see cref="GuardedConnector"/>,
/// follows no redirect, uses no proxy and logs no URL (URLs may carry secrets).
/// </summary>
public sealed class OutboundHttp(IHttpClientFactory factory)
{
    public const string ClientName = "switchboard-outbound";
    /// <summary>Buffered response bodies (the default for SendAsync) larger than this fail instead of filling memory.</summary>
    public const int MaxBufferedResponseBytes = 1024 * 1024;

    /// <summary>A client for one operation (cheap; do not keep it for long). Set per-request timeouts with a CancellationToken.</summary>
    public HttpClient CreateClient() => factory.CreateClient(ClientName);
}

/// <summary>
/// Keeps every request on TCP, where the guarded ConnectCallback runs: HTTP/3 (QUIC) connects without it, and an
/// Alt-Svc answer could move a request there, even to another host. Lets callers catch
/// <see cref="OutboundBlockedException"/> itself, not the connection error SocketsHttpHandler wraps it in.
/// </summary>
public sealed class OutboundRequestGuard : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.Version >= System.Net.HttpVersion.Version30) request.Version = System.Net.HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        var host = request.RequestUri?.Host;
        try
        {
            var response = await base.SendAsync(request, ct);
            SwitchboardMetrics.RecordOutbound(host, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            return response;
        }
        catch (HttpRequestException e) when (e is not OutboundBlockedException && OutboundBlockedException.FindIn(e) is { } blocked)
        {
            SwitchboardMetrics.RecordOutbound(host, "blocked");
            ExceptionDispatchInfo.Throw(blocked);
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            SwitchboardMetrics.RecordOutbound(host, e is OutboundBlockedException ? "blocked" : "error");
            throw;
        }
    }
}
