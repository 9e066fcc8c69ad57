using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.OAuth;

/// <summary>A tiny real HTTP server on 127.0.0.1 standing in for a cloud token endpoint; the handler verifies what it receives.</summary>
public sealed class LoopbackStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    public string Url { get; }
    public int Requests;
    public int Rejected;

    private LoopbackStandIn(WebApplication app, string url) { _app = app; Url = url; }

    public static async Task<LoopbackStandIn> StartAsync(Func<HttpContext, Task<IResult>> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        LoopbackStandIn? self = null;
        app.MapPost("/{**path}", async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref self!.Requests);
            var result = await handler(ctx);
            if (result is IStatusCodeHttpResult { StatusCode: >= 400 }) Interlocked.Increment(ref self.Rejected);
            return result;
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<IServerAddressesFeature>()!.Addresses.First().Replace("localhost", "127.0.0.1");
        self = new LoopbackStandIn(app, url.TrimEnd('/'));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
