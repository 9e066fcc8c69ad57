using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Switchboard.Http.Outbound;

namespace Switchboard.Mcp;

/// <summary>A tool as a remote server listed it (stored on the connection).</summary>
public sealed record RemoteTool(string Name, string? Title, string? Description, JsonElement InputSchema);

/// <summary>What talking to a remote server came to; messages never carry a header value.</summary>
public abstract record RemoteOutcome
{
    public sealed record Listed(IReadOnlyList<RemoteTool> Tools) : RemoteOutcome;
    public sealed record Called(CallToolResult Result) : RemoteOutcome;
    /// <summary>The guarded outbound client refused the host (nothing was sent).</summary>
    public sealed record Blocked(string Host) : RemoteOutcome;
    public sealed record Failed(string Message) : RemoteOutcome;
}

/// <summary>
/// Talks to a remote MCP server with the official C# SDK client (Streamable HTTP) over the ONE guarded outbound client,
/// with the connection's headers. Every failure becomes a <see cref="RemoteOutcome.Failed"/> whose message names the
/// kind of failure only, and any header value a remote message might echo is redacted.
/// </summary>
public sealed class RemoteMcpServer(OutboundHttp outbound, IOptions<McpOptions> options, ILoggerFactory loggers)
{
    public Task<RemoteOutcome> ListToolsAsync(string url, IReadOnlyDictionary<string, string> headers, CancellationToken ct) =>
        RunAsync(url, headers, options.Value.ConnectTimeout, async (client, token) =>
        {
            var tools = await client.ListToolsAsync(cancellationToken: token);
            return new RemoteOutcome.Listed(tools.Select(t => new RemoteTool(t.Name, t.Title, t.Description, t.ProtocolTool.InputSchema.Clone())).ToArray());
        }, ct);

    public Task<RemoteOutcome> CallToolAsync(string url, IReadOnlyDictionary<string, string> headers, string tool,
        IReadOnlyDictionary<string, JsonElement>? arguments, CancellationToken ct) =>
        RunAsync(url, headers, options.Value.CallTimeout, async (client, token) =>
        {
            var result = await client.CallToolAsync(new CallToolRequestParams
            {
                Name = tool,
                Arguments = arguments is null ? null : new Dictionary<string, JsonElement>(arguments),
            }, token);
            return new RemoteOutcome.Called(result);
        }, ct);

    private async Task<RemoteOutcome> RunAsync(string url, IReadOnlyDictionary<string, string> headers, TimeSpan timeout,
        Func<McpClient, CancellationToken, Task<RemoteOutcome>> work, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            var transport = new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(url),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string>(headers),
                ConnectionTimeout = timeout,
                Name = "switchboard",
            }, outbound.CreateClient(), loggers, ownsHttpClient: true);
            await using var client = await McpClient.CreateAsync(transport, new McpClientOptions
            {
                ClientInfo = new Implementation { Name = "switchboard", Version = "1.0" },
            }, loggers, cts.Token);
            return await work(client, cts.Token);
        }
        catch (Exception e) when (OutboundBlockedException.FindIn(e) is { } blocked)
        {
            return new RemoteOutcome.Blocked(blocked.Host);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new RemoteOutcome.Failed($"The MCP server did not answer within {timeout.TotalSeconds:0.#} s.");
        }
        catch (McpProtocolException e)
        {
            return new RemoteOutcome.Failed(Redact($"The MCP server answered with error {(int)e.ErrorCode}: {Truncate(e.Message)}", headers));
        }
        catch (HttpRequestException e)
        {
            return new RemoteOutcome.Failed(e.StatusCode is { } status
                ? $"The MCP server answered HTTP {(int)status}."
                : $"The MCP server could not be reached ({e.HttpRequestError}).");
        }
        catch (Exception e) when (e is McpException or JsonException or InvalidOperationException or IOException or TimeoutException)
        {
            return new RemoteOutcome.Failed($"The MCP server could not be used ({e.GetType().Name}).");
        }
    }

    private static string Truncate(string s) => s.Length > 300 ? s[..300] + "…" : s;

    /// <summary>A remote may echo what it was sent: no header value leaves through a message.</summary>
    public static string Redact(string text, IReadOnlyDictionary<string, string> headers)
    {
        foreach (var value in headers.Values.Where(v => v.Length >= 4).OrderByDescending(v => v.Length))
        {
            text = text.Replace(value, "[redacted]", StringComparison.Ordinal);
            // The token part of "Bearer …" alone too.
            var space = value.IndexOf(' ');
            if (space > 0 && value.Length - space > 4) text = text.Replace(value[(space + 1)..], "[redacted]", StringComparison.Ordinal);
        }
        return text;
    }
}
