using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;

namespace Switchboard.Hosting.Operations;

/// <summary>
/// One line per request: method, route pattern, status, duration, request id. Never the path as sent (capability URLs
/// such as /connect/{token} and OAuth start handles carry their secret in it), nor a query string, header or body.
/// Probes (/healthz, /readyz, /metrics) log at Debug. Category Switchboard.Requests (its level turns the lines off).
/// </summary>
public sealed partial class RequestLogging(RequestDelegate next, ILoggerFactory loggers)
{
    public const string Category = "Switchboard.Requests";
    private readonly ILogger _logger = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var route = RouteOf(context);
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            var method = context.Request.Method.Length <= 16 ? context.Request.Method : context.Request.Method[..16];
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (route is "/healthz" or "/readyz" or "/metrics") LogProbe(_logger, method, route, status, elapsed, context.TraceIdentifier);
            else LogRequest(_logger, method, route, status, elapsed, context.TraceIdentifier);
        }
    }

    /// <summary>The pattern of the endpoint that ran (the exception handler clears it, but keeps it in its feature), or "-".</summary>
    private static string RouteOf(HttpContext context)
    {
        var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        return (endpoint as RouteEndpoint)?.RoutePattern.RawText is { Length: > 0 } pattern ? pattern : "-";
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Method} {Route} {Status} {ElapsedMs:0.0} ms {RequestId}")]
    private static partial void LogRequest(ILogger logger, string method, string route, int status, double elapsedMs, string requestId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "{Method} {Route} {Status} {ElapsedMs:0.0} ms {RequestId}")]
    private static partial void LogProbe(ILogger logger, string method, string route, int status, double elapsedMs, string requestId);
}

/// <summary>Puts <see cref="RequestLogging"/> outside the whole pipeline, so it sees the final status of every request.</summary>
public sealed class RequestLoggingStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<RequestLogging>();
        next(app);
    };
}
