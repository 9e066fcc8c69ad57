using Microsoft.AspNetCore.OpenApi;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Switchboard.Telemetry;

namespace Switchboard.Hosting.Operations;

/// <summary>
/// What an operator runs the service with: /readyz, /metrics (Prometheus) and OTLP export, one log line per request,
/// PublicBaseUrl following the listen address, the API docs page, and an idle node's memory after start.
/// </summary>
public static class OperationsHosting
{
    public const string MetricsEnabledKey = "Switchboard:Metrics:Enabled";
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>HttpClient and DNS metrics keep these tags only: their server.address / dns.question.name name tenants' hosts.</summary>
    private static readonly string[] ClientMetricTags =
        ["http.request.method", "http.response.status_code", "error.type", "network.protocol.version", "url.scheme"];

    public static void AddSwitchboardOperations(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHealthChecks().AddReadinessChecks();
        services.AddTransient<IStartupFilter, RequestLoggingStartupFilter>();
        // ASP.NET Core's own request lines ("Request starting …") and the request scope it opens for every log line of
        // a request carry the path and query as sent: /connect/{token} would reach any provider that writes scopes.
        // Off whatever the configuration says (RequestLogging writes the line instead); with it off no scope is opened.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        services.AddHostedService<PublicBaseUrlDefault>();
        services.AddHostedService<CatalogHosts>();
        services.AddHostedService<StartupMemoryRelease>();
        services.Configure<OpenApiOptions>("v1", o => o.AddDocumentTransformer<ApiDocsTransformer>());

        var prometheus = builder.Configuration.GetValue(MetricsEnabledKey, true);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]);
        if (!prometheus && !otlp) return;

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "switchboard";
        var telemetry = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(serviceName));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(SwitchboardMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddView(instrument => instrument.Meter.Name is "System.Net.Http" or "System.Net.NameResolution"
                    ? new MetricStreamConfiguration { TagKeys = ClientMetricTags }
                    : null);
            if (prometheus) metrics.AddPrometheusExporter();
            if (otlp) metrics.AddOtlpExporter();
        });
        if (otlp)
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o =>
                    // The path as sent may be a capability URL (/connect/{token}); spans carry the route pattern instead.
                    o.EnrichWithHttpResponse = (activity, response) =>
                        activity.SetTag("url.path", (response.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "-"))
                .AddHttpClientInstrumentation()
                .AddOtlpExporter());
    }

    public static void MapSwitchboardOperations(this WebApplication app)
    {
        app.MapHealthChecks("/readyz", Readiness.Options);
        if (app.Configuration.GetValue(MetricsEnabledKey, true)) app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
