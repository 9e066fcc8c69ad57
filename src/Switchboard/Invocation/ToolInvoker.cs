using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Invocation;

/// <summary>
/// A tool call: the input is checked against the tool's input_schema first (nothing is sent on an error), then the
/// project's install must be active and grant the tool's permission, then the end user's credential is taken, the
/// request built, the credential injected, and the provider called through the guarded client (read tools retried
/// on connection failures, 429 and 503). Every call that was sent is audited (<see cref="ToolCall.AuditAction"/>):
/// tool, user, provider status, duration, acting key, and the input without the values the schema marks secret.
/// </summary>
public sealed class ToolInvoker(SwitchboardDb db, ToolCatalog tools, AccountCatalog catalog, UsableCredentials credentials,
    CredentialInjector injector, ProviderSender sender, IStoreWriter writer, IOptions<InvocationOptions> options)
{
    /// <summary>Response headers passed back to the caller (the rest stay with Switchboard).</summary>
    public static readonly string[] SelectedHeaders =
    [
        "Content-Type", "Retry-After", "Location", "Link", "ETag", "Request-Id", "X-Request-Id", "X-GitHub-Request-Id",
        "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Stripe-Version",
    ];

    public async Task<ToolOutcome> InvokeAsync(Tenant tenant, ToolCall call, CancellationToken ct)
    {
        var tool = tools.Find(call.Name) ?? tools.FindByOpenAiName(call.Name);
        if (tool is null || await catalog.FindAsync(db, tenant.AccountId, tool.Provider, ct) is not { } provider)
            return new ToolOutcome.NotFound(call.Name);

        var input = call.Input.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? "{}" : call.Input.GetRawText();
        var errors = InputErrors.Of(tool, input);
        if (errors.Count > 0) return new ToolOutcome.ValidationFailed(errors);
        var inputObject = (JsonObject)JsonNode.Parse(input)!;

        var row = await credentials.FindInstallAsync(db, tenant.AccountId, tenant.ProjectId, tool.Provider, ct);
        if (row is null || row.Status != IntegrationStatus.Active) return new ToolOutcome.NotActive(tool.Provider, row?.Status ?? IntegrationStatus.Available);
        var (allowed, reason) = ToolPermissions.Verdict(tool, ToolPermissions.Parse(row.ActionPermissionsJson));
        if (!allowed) return new ToolOutcome.NotPermitted(tool.Name, tool.Permission, reason!);

        var userId = call.UserId ?? ToolCall.DefaultUserId;
        var (credential, failure) = await credentials.ForAsync(db, row, provider, userId, tenant.Actor, ct);
        if (credential is null) return Invocations.FromFailure(failure!, row, provider, userId);

        var started = Stopwatch.GetTimestamp();
        using var deadline = new CancellationTokenSource(options.Value.Timeout);
        var built = false;
        var result = await sender.SendAsync(async token =>
        {
            var request = ToolRequestBuilder.Build(tool, inputObject, credential.App)
                          ?? throw new HttpRequestException("the install's URL cannot be built");
            if (!await injector.ApplyAsync(request, credential, token)) throw new HttpRequestException("the credential does not fit the inject spec");
            built = true;
            return request;
        }, tool.IsWrite ? 0 : options.Value.ReadRetries, deadline.Token, ct);

        ToolOutcome outcome;
        int? status = null;
        using (result.Response)
        {
            outcome = result.Failure switch
            {
                SendFailure.Blocked => new ToolOutcome.Blocked(result.BlockedHost ?? ""),
                SendFailure.TimedOut => new ToolOutcome.TimedOut(provider.Name, options.Value.Timeout),
                SendFailure.Unreachable => new ToolOutcome.Unreachable(provider.Name),
                _ => await ReadAsync(tool, result.Response!, started, deadline.Token, ct),
            };
            status = result.Response is null ? null : (int)result.Response.StatusCode;
        }
        if (built) await AuditAsync(tenant, call, tool, row, userId, inputObject, outcome, status, result.Attempts, started, ct);
        return outcome;
    }

    private async Task<ToolOutcome> ReadAsync(ToolDefinition tool, HttpResponseMessage response, long started, CancellationToken deadline,
        CancellationToken ct)
    {
        byte[]? bytes;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline, ct);
        try { bytes = await ProviderSender.ReadCappedAsync(response, options.Value.MaxResponseBytes, linked.Token); }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return new ToolOutcome.TimedOut(tool.Provider, options.Value.Timeout);
        }
        catch (HttpRequestException) when (!ct.IsCancellationRequested) { return new ToolOutcome.Unreachable(tool.Provider); }
        catch (IOException) when (!ct.IsCancellationRequested) { return new ToolOutcome.Unreachable(tool.Provider); }
        if (bytes is null) return new ToolOutcome.TooLarge(tool.Provider, options.Value.MaxResponseBytes);

        var status = (int)response.StatusCode;
        JsonNode? body = null;
        string? text = null;
        if (bytes.Length > 0)
        {
            try { body = JsonNode.Parse(bytes); }
            catch (JsonException) { text = Encoding.UTF8.GetString(bytes); }
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in SelectedHeaders)
            if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
                headers[name.ToLowerInvariant()] = string.Join(", ", values);
        var ok = ToolRequestBuilder.IsSuccess(tool.Success, status, body);
        return new ToolOutcome.Completed(ok, status, headers, body, text, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private Task AuditAsync(Tenant tenant, ToolCall call, ToolDefinition tool, Integration row, string userId, JsonObject input,
        ToolOutcome outcome, int? status, int attempts, long started, CancellationToken ct)
    {
        var e = AuditLog.Event(tenant.Actor, tenant.AccountId, call.AuditAction, row.ProjectId, tool.Provider, row.Id.ToString(), new
        {
            tool = tool.Name,
            user_id = userId,
            outcome = Invocations.OutcomeCode(outcome),
            ok = (outcome as ToolOutcome.Completed)?.Ok,
            provider_status = status,
            duration_ms = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            attempts,
            input = Invocations.Redact(input, tool.SecretInputs),
        });
        // The call happened whether or not the caller is still there: its record is written regardless.
        return writer.AppendAsync(e, CancellationToken.None);
    }
}
