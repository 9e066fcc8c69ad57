using System.Text.Json.Nodes;
using NJsonSchema.Validation;
using Switchboard.Catalog;
using Switchboard.Credentials;
using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Invocation;

/// <summary>What tool calls and proxied requests share: failures as outcomes, audit codes, redaction.</summary>
public static class Invocations
{
    /// <summary>The route that makes an end user's OAuth connection (an auth URL for the browser).</summary>
    public static string AuthUrlRoute(Integration row, string userId) =>
        $"POST /api/v1/integrations/{row.Id}/users/{Uri.EscapeDataString(userId)}/auth-url";

    public static ToolOutcome FromFailure(CredentialFailure failure, Integration row, ProviderDefinition provider, string userId)
    {
        ToolOutcome Connection(string reason) => new ToolOutcome.ConnectionRequired(provider.Name, userId, AuthUrlRoute(row, userId), reason);
        return failure.Kind switch
        {
            CredentialFailureKind.IntegrationNotActive => new ToolOutcome.NotActive(provider.Name, failure.Value ?? row.Status),
            CredentialFailureKind.UserNotFound => Connection("the user has no connection to this integration"),
            CredentialFailureKind.ConnectionNotActive => Connection($"the user's connection is {failure.Value}"),
            CredentialFailureKind.ConnectionExpired => Connection("the user's connection expired"),
            CredentialFailureKind.ProviderRejected when provider.AuthType == AuthTypes.OAuth2 => Connection("the provider refused to refresh the user's token"),
            CredentialFailureKind.OutboundBlocked => new ToolOutcome.Blocked(failure.Value ?? ""),
            _ => new ToolOutcome.CredentialUnavailable(failure),
        };
    }

    /// <summary>The stable code of an outcome, as audit records and problems name it.</summary>
    public static string OutcomeCode(ToolOutcome outcome) => outcome switch
    {
        ToolOutcome.Completed => "completed",
        ToolOutcome.ValidationFailed => "validation_failed",
        ToolOutcome.NotFound => "not_found",
        ToolOutcome.NotPermitted => "action_not_permitted",
        ToolOutcome.NotActive => "integration_not_active",
        ToolOutcome.ConnectionRequired => "connection_required",
        ToolOutcome.Blocked => "outbound_blocked",
        ToolOutcome.Unreachable => "provider_unreachable",
        ToolOutcome.TimedOut => "provider_timeout",
        ToolOutcome.TooLarge => "provider_response_too_large",
        ToolOutcome.CredentialUnavailable c => c.Failure.Kind.ToString(),
        _ => "unknown",
    };

    public const int MaxAuditedInputChars = 2048;

    /// <summary>The input without the values at the secret pointers; only its keys when it is long.</summary>
    public static JsonNode Redact(JsonObject input, IReadOnlyList<string> secretPointers)
    {
        var copy = (JsonObject)input.DeepClone();
        foreach (var pointer in secretPointers)
        {
            if (JsonPointers.Split(pointer) is not { } segments) continue;
            JsonNode? node = copy;
            foreach (var s in segments.Take(segments.Count - 1)) node = (node as JsonObject)?[s];
            if (node is JsonObject parent && parent.ContainsKey(segments[^1])) parent[segments[^1]] = "[secret]";
        }
        var text = copy.ToJsonString();
        return text.Length <= MaxAuditedInputChars ? copy : new JsonObject { ["keys"] = new JsonArray(copy.Select(p => (JsonNode)p.Key).ToArray()) };
    }
}

/// <summary>A tool input's errors against its input_schema, each with the JSON pointer of the value it is about.</summary>
public static class InputErrors
{
    public static IReadOnlyList<FieldError> Of(ToolDefinition tool, string inputJson)
    {
        if (tool.InputValidator is not { } schema) return [];
        return Flatten(schema.Validate(inputJson))
            .Select(e => new FieldError(Pointer(e), Code(e.Kind), Message(e)))
            .DistinctBy(e => (e.Field, e.Code))
            .ToList();
    }

    private static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (var e in errors)
        {
            if (e is ChildSchemaValidationError child && child.Errors.Count > 0)
            {
                var inner = Flatten(child.Errors.Values.SelectMany(v => v)).ToList();
                if (inner.Count > 0) { foreach (var i in inner) yield return i; continue; }
            }
            yield return e;
        }
    }

    /// <summary>NJsonSchema paths are "#/a.b[0]" (a missing property: its parent's path and Property); as RFC 6901 "/a/b/0".</summary>
    public static string Pointer(ValidationError e)
    {
        var path = e.Path ?? "#";
        path = path.StartsWith('#') ? path[1..] : path;
        path = path.TrimStart('/');
        var segments = new List<string>();
        foreach (var dotted in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var rest = dotted;
            var bracket = rest.IndexOf('[');
            segments.Add(bracket < 0 ? rest : rest[..bracket]);
            while (bracket >= 0)
            {
                var close = rest.IndexOf(']', bracket);
                if (close < 0) break;
                segments.Add(rest[(bracket + 1)..close]);
                rest = rest[(close + 1)..];
                bracket = rest.IndexOf('[');
            }
        }
        if (e.Kind is ValidationErrorKind.PropertyRequired && e.Property is { } missing && (segments.Count == 0 || segments[^1] != missing))
            segments.Add(missing);
        return segments.Count == 0 ? "" : "/" + string.Join("/", segments.Where(s => s.Length > 0).Select(s => s.Replace("~", "~0").Replace("/", "~1")));
    }

    private static string Code(ValidationErrorKind kind) => kind switch
    {
        ValidationErrorKind.PropertyRequired => "required",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => "not_allowed",
        ValidationErrorKind.NotInEnumeration => "not_in_enum",
        ValidationErrorKind.PatternMismatch => "pattern",
        ValidationErrorKind.StringTooShort or ValidationErrorKind.StringTooLong => "length",
        ValidationErrorKind.NumberTooSmall or ValidationErrorKind.NumberTooBig => "range",
        ValidationErrorKind.TooManyItems or ValidationErrorKind.TooFewItems => "items",
        ValidationErrorKind.NotAnyOf or ValidationErrorKind.NotOneOf => "alternatives",
        _ when kind.ToString().EndsWith("Expected", StringComparison.Ordinal) => "wrong_type",
        _ => "invalid",
    };

    /// <summary>Says what is wrong without echoing the value (it may be a secret).</summary>
    private static string Message(ValidationError e) => e.Kind switch
    {
        ValidationErrorKind.PropertyRequired => $"'{e.Property}' is required.",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => $"'{e.Property}' is not an input of this tool.",
        _ => $"Does not satisfy the input schema ({e.Kind}).",
    };
}
