using Switchboard.Invocation;

namespace Switchboard.Proxy;

/// <summary>Copies the provider's answer to the caller as it arrives: status, headers (minus hop-by-hop and Set-Cookie), body.</summary>
public static class ProxyResponse
{
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Set-Cookie", "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Alt-Svc",
    };

    /// <summary>Streams the answer; returns the audit outcome. A body past the cap: 502 if known up front, else the stream is cut.</summary>
    public static async Task<string> StreamAsync(HttpContext http, HttpResponseMessage response, long limit, string provider, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > limit)
        {
            await InvocationProblems.For(new ToolOutcome.TooLarge(provider, limit)).ExecuteAsync(http);
            return "provider_response_too_large";
        }
        var r = http.Response;
        r.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            if (!Dropped.Contains(name)) r.Headers[name] = values.ToArray();
        if (HttpMethods.IsHead(http.Request.Method)) return "completed";

        await using var upstream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await upstream.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    // Headers are gone already: the only honest signal left is an aborted response.
                    http.Abort();
                    return "provider_response_too_large";
                }
                await r.Body.WriteAsync(buffer.AsMemory(0, read), ct);
                await r.Body.FlushAsync(ct);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            http.Abort();
            return "provider_unreachable";
        }
        return "completed";
    }
}
