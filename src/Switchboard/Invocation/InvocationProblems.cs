using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Http;

namespace Switchboard.Invocation;

/// <summary>The RFC 9457 problem of every refused or failed call (tools and proxy answer alike; MCP maps outcomes its own way).</summary>
public static class InvocationProblems
{
    public static ProblemHttpResult For(ToolOutcome outcome) => outcome switch
    {
        ToolOutcome.ValidationFailed v => Problems.Validation(v.Errors),
        ToolOutcome.NotFound n => Problems.Make(404, "tool_not_found", "Tool not found",
            $"No tool '{Problems.Truncate(n.Name, 64)}' among the tools of this project's active integrations."),
        ToolOutcome.NotPermitted p => Problems.Make(403, "action_not_permitted", "Action not permitted",
            $"The integration's action_permissions do not allow this: {p.Reason}. Grant it with PATCH …/integrations/{{provider}}/lifecycle.",
            new Dictionary<string, object?> { ["permission"] = p.Permission }),
        ToolOutcome.NotActive a => Problems.IntegrationNotActive(a.Provider, a.Status),
        ToolOutcome.ConnectionRequired c => Problems.Make(409, "connection_required", "Connection required",
            $"End user '{Problems.Truncate(c.UserId, 64)}' has no usable connection to '{c.Provider}' ({c.Reason}). Create an auth URL with {c.AuthUrlRoute} and let the user authorise.",
            new Dictionary<string, object?> { ["user_id"] = Problems.Truncate(c.UserId, 256), ["auth_url_route"] = c.AuthUrlRoute }),
        ToolOutcome.Blocked b => Problems.OutboundBlocked(b.Host),
        ToolOutcome.Unreachable u => Problems.Make(502, "provider_unreachable", "Provider unreachable",
            $"'{u.Provider}' could not be reached (connection refused, reset or not resolvable)."),
        ToolOutcome.TimedOut t => Problems.Make(504, "provider_timeout", "Provider timed out",
            $"'{t.Provider}' did not answer within {t.After.TotalSeconds:0.###} s (Switchboard:Invocation:Timeout)."),
        ToolOutcome.TooLarge l => Problems.Make(502, "provider_response_too_large", "Provider response too large",
            $"'{l.Provider}' answered with more than {l.Limit} bytes (Switchboard:Invocation:MaxResponseBytes)."),
        ToolOutcome.CredentialUnavailable c => c.Failure.ToProblem(),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome.GetType().Name, "not a refusal"),
    };
}
