using System.Diagnostics;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Switchboard.Audit;
using Switchboard.Http;
using Switchboard.Invocation;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Proxy;

/// <summary>
/// /api/v1/proxy/{provider}/{**path}: any method, forwarded to the install's API base URL (or its base_url_override)
/// with the install's credential injected. The caller's Authorization, X-API-Key, Cookie and Switchboard-* headers
/// never leave; Switchboard-User-Id picks the end user, Switchboard-Retries (0–5) allows retries of an idempotent
/// method. The provider's status, headers (minus hop-by-hop and Set-Cookie) and body are streamed back.
/// </summary>
public static class ProxyEndpoints
{
    public const string UserIdHeader = "Switchboard-User-Id", RetriesHeader = "Switchboard-Retries";
    public const int MaxRetries = 5;
    private static readonly string[] Methods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

    public static IEndpointRouteBuilder MapProxy(this IEndpointRouteBuilder api)
    {
        // One operation per method: OpenAPI operation ids (and the clients generated from them) must be unique.
        foreach (var method in Methods)
        {
            var route = api.MapMethods("/proxy/{provider}/{**path}", [method], Forward).RequireScope(Scopes.ToolsInvoke).ForwardsBody().PassesIdempotencyKeyThrough();
            // Documented only: Accepts metadata would make routing refuse other content types (415), and any is forwarded.
            if (method is "POST" or "PUT" or "PATCH") route.AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = false,
                    Description = "Any body, forwarded to the provider as it is (Content-Type kept).",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["*/*"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                    },
                };
                return Task.CompletedTask;
            });
            // The provider's own answer: any status, any content type, streamed.
            route.Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream");
            route.WithTags("Proxy").WithName("Proxy" + method[0] + method[1..].ToLowerInvariant())
                .WithSummary($"Forward a {method} to an installed provider's API with its credential injected (streamed answer)")
                .WithDescription("The answer is the provider's own (status, headers, body) whatever its status. Refusals are problems: " +
                                 "403 action_not_permitted (proxy_read / proxy_write in action_permissions), 404 provider_not_found, " +
                                 "409 integration_not_active, 409 connection_required, 413 payload_too_large, 502 provider_unreachable, " +
                                 "502 provider_response_too_large, 502 outbound_blocked, 504 provider_timeout.");
        }
        return api;
    }

    /// <summary>What forwarding uses, bound as one handler parameter.</summary>
    public sealed record ProxyServices(ProviderAccess Access, ProviderSender Sender, CredentialInjector Injector, IStoreWriter Writer,
        IOptions<InvocationOptions> Options);

    private static async Task Forward(string provider, string? path, HttpContext http, Tenant tenant, [AsParameters] ProxyServices s)
    {
        var (access, sender, injector, writer, options) = (s.Access, s.Sender, s.Injector, s.Writer, s.Options);
        var ct = http.RequestAborted;
        var request = http.Request;
        var o = options.Value;
        if (ProxyRequest.Check(request, path) is { } bad) { await bad.ExecuteAsync(http); return; }
        var retries = ProxyRequest.Retries(request, out var retriesProblem);
        if (retriesProblem is not null) { await retriesProblem.ExecuteAsync(http); return; }
        var userId = request.Headers[UserIdHeader].ToString() is { Length: > 0 } u ? u : null;
        if (userId is not null && (userId.Length > 256 || userId.Any(char.IsControl)))
        {
            await Problems.BadRequest("invalid_user_id", "Invalid Switchboard-User-Id", "Switchboard-User-Id must be 1 to 256 printable characters.").ExecuteAsync(http);
            return;
        }

        var (target, refusal) = await access.ForProxyAsync(tenant, provider, request.Method, userId, ct);
        if (refusal is not null)
        {
            var problem = refusal is ToolOutcome.NotFound ? Problems.NotFound("provider", provider) : InvocationProblems.For(refusal);
            await problem.ExecuteAsync(http);
            return;
        }
        if (target!.BaseUrl() is not { } baseUrl)
        {
            await InvocationProblems.For(new ToolOutcome.Unreachable(target.Provider.Name)).ExecuteAsync(http);
            return;
        }
        var body = await ProxyRequest.ReadBodyAsync(request, o.MaxRequestBytes, ct);
        if (body.TooLarge)
        {
            await Problems.Make(413, "payload_too_large", "Request body too large",
                $"Proxied request bodies are limited to {o.MaxRequestBytes} bytes (Switchboard:Invocation:MaxRequestBytes).").ExecuteAsync(http);
            return;
        }

        var url = ProxyRequest.Upstream(baseUrl, path, request.QueryString);
        var started = Stopwatch.GetTimestamp();
        using var deadline = new CancellationTokenSource(o.Timeout);
        var result = await sender.SendAsync(async token =>
        {
            var message = ProxyRequest.Build(request, url, body.Bytes);
            if (!await injector.ApplyAsync(message, target.Credential, token)) throw new HttpRequestException("the credential does not fit the inject spec");
            return message;
        }, retries, deadline.Token, ct);

        int? status = null;
        string outcome;
        using (var response = result.Response)
        {
            if (response is null)
            {
                ToolOutcome failed = result.Failure switch
                {
                    SendFailure.Blocked => new ToolOutcome.Blocked(result.BlockedHost ?? ""),
                    SendFailure.TimedOut => new ToolOutcome.TimedOut(target.Provider.Name, o.Timeout),
                    _ => new ToolOutcome.Unreachable(target.Provider.Name),
                };
                outcome = Invocations.OutcomeCode(failed);
                await InvocationProblems.For(failed).ExecuteAsync(http);
            }
            else
            {
                status = (int)response.StatusCode;
                outcome = await ProxyResponse.StreamAsync(http, response, o.MaxResponseBytes, target.Provider.Name, ct);
            }
        }
        var e = AuditLog.Event(tenant.Actor, tenant.AccountId, "proxy.request", target.Row.ProjectId, target.Provider.Name, target.Row.Id.ToString(), new
        {
            method = request.Method,
            path = "/" + (path ?? ""),
            user_id = target.UserId,
            outcome,
            provider_status = status,
            duration_ms = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            attempts = result.Attempts,
        });
        // The request went out whether or not the caller stayed: its record is written regardless.
        await writer.AppendAsync(e, CancellationToken.None);
    }
}

