using System.Text.Json.Nodes;
using Switchboard.Credentials;
using Switchboard.Http;

namespace Switchboard.Invocation;

/// <summary>
/// What a tool call came to. Endpoints (REST, MCP) turn each case into their own answer; nothing here is an HTTP type.
/// <see cref="Completed"/> whenever the provider answered, whatever its status.
/// </summary>
public abstract record ToolOutcome
{
    /// <summary>The provider answered. Ok: the status is one the tool lists and its JSON checks hold. Body when the
    /// answer is JSON, else Text.</summary>
    public sealed record Completed(bool Ok, int Status, IReadOnlyDictionary<string, string> Headers, JsonNode? Body, string? Text,
        long DurationMs) : ToolOutcome;

    /// <summary>The input does not satisfy the tool's input_schema (one entry per error, Field a JSON pointer); nothing was sent.</summary>
    public sealed record ValidationFailed(IReadOnlyList<FieldError> Errors) : ToolOutcome;

    /// <summary>No such tool in the account's catalog.</summary>
    public sealed record NotFound(string Name) : ToolOutcome;

    /// <summary>The install's action_permissions do not grant the tool's permission.</summary>
    public sealed record NotPermitted(string Tool, string Permission, string Reason) : ToolOutcome;

    /// <summary>The provider is not installed in the project (status available), or paused or disconnected.</summary>
    public sealed record NotActive(string Provider, string Status) : ToolOutcome;

    /// <summary>The end user has no usable OAuth connection; <see cref="AuthUrlRoute"/> is the route that makes one.</summary>
    public sealed record ConnectionRequired(string Provider, string UserId, string AuthUrlRoute, string Reason) : ToolOutcome;

    /// <summary>No credential could be had for another reason (encryption unavailable, the provider refused the token request, …).</summary>
    public sealed record CredentialUnavailable(CredentialFailure Failure) : ToolOutcome;

    /// <summary>The guarded outbound client refused the destination (Switchboard:Outbound:AllowedNetworks).</summary>
    public sealed record Blocked(string Host) : ToolOutcome;

    public sealed record Unreachable(string Provider) : ToolOutcome;

    public sealed record TimedOut(string Provider, TimeSpan After) : ToolOutcome;

    public sealed record TooLarge(string Provider, long Limit) : ToolOutcome;
}

/// <summary>A call of a tool (by name or openai_name) for an end user (default: <see cref="DefaultUserId"/>).</summary>
public sealed record ToolCall(string Name, System.Text.Json.JsonElement Input, string? UserId, string AuditAction = "tool.invoked")
{
    /// <summary>The end user of the hosted install page, used when a call names none.</summary>
    public const string DefaultUserId = "default";
}
