using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Http;

namespace Switchboard.Proxy;

/// <summary>The upstream request of a proxied call: which caller headers travel, the URL, the buffered body.</summary>
public static class ProxyRequest
{
    /// <summary>Never forwarded: the caller's own credentials, Switchboard's headers, and hop-by-hop or framing headers.</summary>
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "X-API-Key", "Cookie", "X-Account-ID", "Host", "Content-Length", "Connection", "Keep-Alive", "Proxy-Authorization",
        "Proxy-Authenticate", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect",
    };

    public static bool IsForwarded(string header) =>
        !Dropped.Contains(header) && !header.StartsWith("Switchboard-", StringComparison.OrdinalIgnoreCase);

    /// <summary>Segments "." and ".." would leave the provider's base path; refused.</summary>
    public static ProblemHttpResult? Check(HttpRequest request, string? path)
    {
        var segments = (path ?? "").Split('/');
        return segments.Any(s => s is "." or ".." || s.Any(char.IsControl))
            ? Problems.BadRequest("invalid_path", "Invalid proxy path", "The path may not contain '.' or '..' segments or control characters.")
            : null;
    }

    /// <summary>Switchboard-Retries: 0 to 5, and more than 0 only for an idempotent method (GET, HEAD, OPTIONS, PUT, DELETE).</summary>
    public static int Retries(HttpRequest request, out ProblemHttpResult? problem)
    {
        problem = null;
        if (!request.Headers.TryGetValue(ProxyEndpoints.RetriesHeader, out var values)) return 0;
        if (values.Count != 1 || !int.TryParse(values[0], System.Globalization.NumberStyles.None, null, out var n) || n > ProxyEndpoints.MaxRetries)
        {
            problem = Problems.BadRequest("invalid_retries", "Invalid Switchboard-Retries", $"Switchboard-Retries must be an integer from 0 to {ProxyEndpoints.MaxRetries}.");
            return 0;
        }
        var m = request.Method;
        var idempotent = HttpMethods.IsGet(m) || HttpMethods.IsHead(m) || HttpMethods.IsOptions(m) || HttpMethods.IsPut(m) || HttpMethods.IsDelete(m);
        if (n > 0 && !idempotent)
        {
            problem = Problems.BadRequest("retries_not_allowed", "Retries not allowed for this method",
                $"{m} is not idempotent; only GET, HEAD, OPTIONS, PUT and DELETE may be retried.");
            return 0;
        }
        return n;
    }

    public static Uri Upstream(Uri baseUrl, string? path, QueryString query)
    {
        var escaped = string.Join("/", (path ?? "").Split('/').Select(Uri.EscapeDataString));
        var text = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + (escaped.Length > 0 ? "/" + escaped : "") + query.Value;
        return new Uri(text);
    }

    public readonly record struct Body(byte[]? Bytes, bool TooLarge);

    public static async Task<Body> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength is 0) return new(null, false);
        if (request.ContentLength > limit) return new(null, true);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return new(null, true);
            buffer.Write(chunk, 0, read);
        }
        return new(buffer.Length == 0 && request.ContentLength is null && !request.Headers.ContentType.Any() ? null : buffer.ToArray(), false);
    }

    /// <summary>One attempt's request message (a message is sent once; retries build another).</summary>
    public static HttpRequestMessage Build(HttpRequest request, Uri url, byte[]? body)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), url);
        if (body is not null) message.Content = new ByteArrayContent(body);
        foreach (var (name, values) in request.Headers)
        {
            if (!IsForwarded(name)) continue;
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && message.Content is not null)
                message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        return message;
    }
}
