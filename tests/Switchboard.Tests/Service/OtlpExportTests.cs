using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Service;

/// <summary>A node configured with the standard OTEL_EXPORTER_OTLP_ENDPOINT, sending to a loopback OTLP/HTTP receiver.</summary>
public sealed class OtlpApp : SwitchboardApp
{
    public ConcurrentQueue<(string Path, byte[] Body)> Received { get; } = new();
    private LoopbackStandIn? _receiver;

    public override async Task InitializeAsync()
    {
        _receiver = await LoopbackStandIn.StartAsync(async ctx =>
        {
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            Received.Enqueue((ctx.Request.Path.Value ?? "", body.ToArray()));
            // An empty protobuf message is a valid (empty) export response.
            return Results.Bytes([], "application/x-protobuf");
        });
        await base.InitializeAsync();
    }

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _receiver!.Url,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    /// <summary>The receiver stops with the node (the fixture's own dispose is not overridable).</summary>
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddHostedService(_ => new StopWithHost(_receiver!));

    private sealed class StopWithHost(LoopbackStandIn receiver) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public async Task StopAsync(CancellationToken cancellationToken) => await receiver.DisposeAsync();
    }
}

public sealed class OtlpExportTests(OtlpApp app) : IClassFixture<OtlpApp>
{
    [Fact]
    public async Task Metrics_and_traces_go_to_the_configured_endpoint_and_spans_carry_no_capability_path()
    {
        var account = await app.CreateAccountAsync("otlp");
        var link = await (await account.Client().PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/install-url", null))
            .ShouldBe(HttpStatusCode.OK);
        var path = new Uri(link["data"]!["install_url"]!.GetValue<string>()).AbsolutePath;
        var token = path["/connect/".Length..];
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync(path)).StatusCode);

        for (var i = 0; i < 150 && !(Has("/v1/metrics", "switchboard") && Has("/v1/traces", "/connect/{token}")); i++) await Task.Delay(100);
        Assert.True(Has("/v1/metrics", "switchboard"), "no OTLP metrics with Switchboard's instruments: " + string.Join(", ", app.Received.Select(r => r.Path)));
        Assert.True(Has("/v1/traces", "/connect/{token}"), "no OTLP trace of the install page: " + string.Join(", ", app.Received.Select(r => r.Path)));
        Assert.DoesNotContain(app.Received, r => Encoding.UTF8.GetString(r.Body).Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Received, r => Encoding.UTF8.GetString(r.Body).Contains(account.ApiKey, StringComparison.Ordinal));
    }

    private bool Has(string path, string text) =>
        app.Received.Any(r => r.Path == path && Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));
}
