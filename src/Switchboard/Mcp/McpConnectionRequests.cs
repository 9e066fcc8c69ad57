using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Http;
using Switchboard.Store;

namespace Switchboard.Mcp;

/// <summary>POST /mcp-connections. Header values are secrets: no message ever echoes one.</summary>
public sealed record CreateMcpConnectionRequest(string Name, string Url, string Transport, IReadOnlyDictionary<string, string>? Headers, bool Enabled)
    : IJsonRequest<CreateMcpConnectionRequest>
{
    public static (CreateMcpConnectionRequest? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root)
    {
        var errors = new List<FieldError>();
        var name = McpFields.Name(root, errors, required: true);
        var url = McpFields.Url(root, errors, required: true);
        var transport = McpFields.Transport(root, errors) ?? McpTransports.StreamableHttp;
        var headers = McpFields.Headers(root, errors, out _);
        var enabled = McpFields.Enabled(root, errors) ?? true;
        return errors.Count > 0 ? (null, errors) : (new CreateMcpConnectionRequest(name!, url!, transport, headers, enabled), errors);
    }
}

/// <summary>PATCH /mcp-connections/{id}: name, url, headers (replaces them all; null removes them), enabled.</summary>
public sealed record UpdateMcpConnectionRequest(string? Name, string? Url, bool HeadersGiven, IReadOnlyDictionary<string, string>? Headers, bool? Enabled)
    : IJsonRequest<UpdateMcpConnectionRequest>
{
    public static (UpdateMcpConnectionRequest? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement root)
    {
        var errors = new List<FieldError>();
        var name = McpFields.Name(root, errors, required: false);
        var url = McpFields.Url(root, errors, required: false);
        McpFields.Transport(root, errors);
        var headers = McpFields.Headers(root, errors, out var given);
        var enabled = McpFields.Enabled(root, errors);
        return errors.Count > 0 ? (null, errors) : (new UpdateMcpConnectionRequest(name, url, given, headers, enabled), errors);
    }
}

internal static partial class McpFields
{
    public const int MaxHeaders = 20, MaxHeaderValueLength = 4096;

    public static string? Name(JsonElement root, List<FieldError> errors, bool required)
    {
        if (!root.TryGetProperty("name", out var n) || n.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(new("name", "required", "name is required."));
            return null;
        }
        if (n.ValueKind != JsonValueKind.String) { errors.Add(new("name", "wrong_type", "name must be a string.")); return null; }
        var name = n.GetString()!;
        if (name.Length > McpConnection.MaxNameLength || !ToolNames.ConnectionName().IsMatch(name))
        {
            errors.Add(new("name", "invalid", $"name must be snake_case (a-z, 0-9, single underscores, starting with a letter), at most {McpConnection.MaxNameLength} characters."));
            return null;
        }
        return name;
    }

    public static string? Url(JsonElement root, List<FieldError> errors, bool required)
    {
        if (!root.TryGetProperty("url", out var u) || u.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(new("url", "required", "url is required."));
            return null;
        }
        if (u.ValueKind != JsonValueKind.String) { errors.Add(new("url", "wrong_type", "url must be a string.")); return null; }
        var url = u.GetString()!;
        if (url.Length > McpConnection.MaxUrlLength || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) || url.Contains('{'))
        {
            errors.Add(new("url", "invalid_url", $"url must be an absolute https URL of at most {McpConnection.MaxUrlLength} characters."));
            return null;
        }
        return url;
    }

    public static string? Transport(JsonElement root, List<FieldError> errors)
    {
        if (!root.TryGetProperty("transport", out var t) || t.ValueKind == JsonValueKind.Null) return null;
        if (t.ValueKind != JsonValueKind.String || t.GetString() != McpTransports.StreamableHttp)
        {
            errors.Add(new("transport", "invalid", $"transport must be \"{McpTransports.StreamableHttp}\"."));
            return null;
        }
        return McpTransports.StreamableHttp;
    }

    public static bool? Enabled(JsonElement root, List<FieldError> errors)
    {
        if (!root.TryGetProperty("enabled", out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) return e.GetBoolean();
        errors.Add(new("enabled", "wrong_type", "enabled must be a boolean."));
        return null;
    }

    public static IReadOnlyDictionary<string, string>? Headers(JsonElement root, List<FieldError> errors, out bool given)
    {
        given = root.TryGetProperty("headers", out var h);
        if (!given || h.ValueKind == JsonValueKind.Null) return null;
        if (h.ValueKind != JsonValueKind.Object) { errors.Add(new("headers", "wrong_type", "headers must be an object of header name to string value.")); return null; }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in h.EnumerateObject())
        {
            var field = "headers." + Problems.Truncate(p.Name, 64);
            if (!HeaderName().IsMatch(p.Name)) errors.Add(new(field, "invalid", "A header name is a token of letters, digits and !#$%&'*+-.^_`|~, at most 64 characters."));
            else if (Reserved.Contains(p.Name)) errors.Add(new(field, "not_allowed", "This header is set by the MCP transport itself."));
            else if (p.Value.ValueKind != JsonValueKind.String) errors.Add(new(field, "wrong_type", "A header value must be a string."));
            else if (p.Value.GetString()! is var v && (v.Length is 0 or > MaxHeaderValueLength || v.Any(c => c is '\r' or '\n' or '\0')))
                errors.Add(new(field, "invalid", $"A header value must be 1-{MaxHeaderValueLength} characters without line breaks."));
            else if (!headers.TryAdd(p.Name, v)) errors.Add(new(field, "duplicate", "This header is given twice (names are case-insensitive)."));
        }
        if (headers.Count > MaxHeaders) errors.Add(new("headers", "too_many", $"At most {MaxHeaders} headers."));
        return headers;
    }

    /// <summary>Headers the transport owns (framing, content negotiation, the MCP session and protocol headers).</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Content-Type", "Accept", "Transfer-Encoding", "Connection", "Upgrade", "Te", "Trailer",
        "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-ID", "Cookie",
    };

    [GeneratedRegex("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")]
    private static partial Regex HeaderName();
}
