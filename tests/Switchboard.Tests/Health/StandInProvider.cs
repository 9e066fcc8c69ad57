using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Health;

/// <summary>
/// A real loopback HTTP server standing in for a provider: answers 200 to "Bearer sk_test_good…" and 401 to
/// anything else, with a body that must never reach our database or logs. Counts what it receives.
/// </summary>
public sealed class StandInProvider : IAsyncDisposable
{
    public const string BodyMarker = "PROVIDER-BODY-MUST-NOT-BE-STORED";
    private readonly WebApplication _app;
    public ConcurrentQueue<(string Method, string Path, string Authorization)> Requests { get; } = new();
    public string Url { get; private set; } = "";
    /// <summary>Requests with these Authorization values wait here until the test releases them.</summary>
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _held = new();

    /// <summary>Holds every request carrying <paramref name="authorization"/> until the returned source is set.</summary>
    public TaskCompletionSource Hold(string authorization) =>
        _held.GetOrAdd(authorization, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private StandInProvider(WebApplication app) => _app = app;

    public static async Task<StandInProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new StandInProvider(app);
        app.Run(async ctx =>
        {
            var auth = ctx.Request.Headers.Authorization.ToString();
            standIn.Requests.Enqueue((ctx.Request.Method, ctx.Request.Path.Value ?? "", auth));
            if (standIn._held.TryGetValue(auth, out var held)) await held.Task;
            ctx.Response.StatusCode = auth.StartsWith("Bearer sk_test_good", StringComparison.Ordinal) ? 200 : 401;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync($"{{\"marker\":\"{BodyMarker}\"}}");
        });
        await app.StartAsync();
        standIn.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    public int CountFor(string authorization) => Requests.Count(r => r.Authorization == authorization);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
