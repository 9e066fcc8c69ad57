using Microsoft.AspNetCore.Http.HttpResults;

namespace Switchboard.Http;

/// <summary>
/// Every error body is RFC 9457 problem+json with a stable "code"; "type" is derived from it.
/// </summary>
public static class Problems
{
    public const string TypeBase = "https://switchboard.dev/problems/";

    public static ProblemHttpResult Make(int status, string code, string title, string? detail = null,
        IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + code, extensions: ext);
    }

    public static ProblemHttpResult IntegrationNotFound(string id) =>
        Make(404, "integration_not_found", "Integration not found", $"No integration '{Truncate(id)}' in this account.");

    public static ProblemHttpResult NotFound(string what, string id) =>
        Make(404, what.Replace(' ', '_') + "_not_found", char.ToUpperInvariant(what[0]) + what[1..] + " not found",
            $"No {what} '{Truncate(id)}' in this account.");

    public static ProblemHttpResult EncryptionUnavailable() =>
        Make(503, "encryption_unavailable", "Secret encryption service unavailable",
            "The service has no usable encryption key; nothing was written.");

    /// <summary>The guarded outbound client refused the destination. Names the host as configured, never an address it resolved to.</summary>
    public static ProblemHttpResult OutboundBlocked(string host) =>
        Make(502, "outbound_blocked", "Outbound request refused",
            $"Switchboard does not connect to '{Truncate(host)}': it is (or resolves to) a loopback, private, link-local or otherwise " +
            "internal address. An operator can open ranges with Switchboard:Outbound:AllowedNetworks.",
            new Dictionary<string, object?> { ["host"] = Truncate(host) });

    /// <summary>409 invalid_transition: the integration's state does not allow what was asked (see Store's Transition).</summary>
    public static ProblemHttpResult InvalidTransition(string provider, string from, string requested, string hint) =>
        Make(409, "invalid_transition", "Invalid status transition",
            $"Integration '{Truncate(provider, 64)}' is {from}; it cannot {requested}{hint}",
            new Dictionary<string, object?> { ["current_status"] = from, ["requested"] = requested });

    /// <summary>409 invalid_transition for sidebar_enabled on a disconnected integration.</summary>
    public static ProblemHttpResult SidebarHidden(string provider, string status) =>
        Make(409, "invalid_transition", "Invalid status transition",
            $"Integration '{Truncate(provider, 64)}' is disconnected and cannot show its sidebar; install it again first.",
            new Dictionary<string, object?> { ["current_status"] = status, ["requested"] = "sidebar_enabled" });

    /// <summary>409 integration_not_active: only an active integration can be used (credentials, tools).</summary>
    public static ProblemHttpResult IntegrationNotActive(string provider, string status) =>
        Make(409, "integration_not_active", "Integration is not active",
            $"Integration '{Truncate(provider, 64)}' is {status}; only an active integration can be used.",
            new Dictionary<string, object?> { ["current_status"] = status });

    public static ProblemHttpResult Validation(IEnumerable<FieldError> errors) =>
        Make(400, "validation_failed", "Request validation failed", "One or more fields are missing or invalid.",
            new Dictionary<string, object?> { ["errors"] = errors.ToArray() });

    public static ProblemHttpResult BadRequest(string code, string title, string? detail = null) => Make(400, code, title, detail);

    public static ProblemHttpResult Conflict(string code, string title, string? detail = null) => Make(409, code, title, detail);

    /// <summary>User input echoed into an error is cut short and stripped of control characters.</summary>
    public static string Truncate(string s, int max = 100)
    {
        var clean = new string(s.Where(c => !char.IsControl(c)).Take(max).ToArray());
        return s.Length > max ? clean + "…" : clean;
    }
}

/// <summary>One field that failed validation: where (JSON path) and why.</summary>
public sealed record FieldError(string Field, string Code, string Message);
