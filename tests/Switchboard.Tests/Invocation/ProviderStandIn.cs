using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Invocation;

/// <summary>What a stand-in provider received.</summary>
public sealed record Received(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name.ToLowerInvariant());
}

/// <summary>
/// A real HTTP server on 127.0.0.1 standing in for a provider. It records every request and answers with the test's
/// handler; a request carrying any <see cref="Forbidden"/> string (the caller's API key) anywhere is recorded as a
/// violation and answered 599, so the test fails.
/// </summary>
public sealed class ProviderStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<Received> Requests { get; } = new();
    public ConcurrentQueue<string> Violations { get; } = new();
    public List<string> Forbidden { get; } = [];
    public Func<HttpContext, Received, Task> Handler { get; set; } = (ctx, _) => Json(ctx, 200, """{"ok":true}""");
    public string Url { get; private set; } = "";

    private ProviderStandIn(WebApplication app) => _app = app;

    public static async Task<ProviderStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new ProviderStandIn(app);
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var received = new Received(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? "", headers, body);
            standIn.Requests.Enqueue(received);
            var everything = string.Join("\n", headers.Select(h => h.Key + ": " + h.Value)) + received.Path + received.Query + body;
            foreach (var f in standIn.Forbidden.Where(f => everything.Contains(f, StringComparison.Ordinal)))
            {
                standIn.Violations.Enqueue($"{received.Method} {received.Path} carried a forbidden value");
                ctx.Response.StatusCode = 599;
                return;
            }
            await standIn.Handler(ctx, received);
        });
        await app.StartAsync();
        standIn.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("localhost", "127.0.0.1").TrimEnd('/');
        return standIn;
    }

    public static async Task Json(HttpContext ctx, int status, string json)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
