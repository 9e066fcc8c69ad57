using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Catalog;

/// <summary>One Catalog/tools/&lt;provider&gt;.json file (schema: tool.schema.json).</summary>
public sealed class ToolFile
{
    [JsonPropertyName("$schema")] public string? Schema { get; init; }
    public required string Provider { get; init; }
    public required string ApiVersion { get; init; }
    public required string ApiReference { get; init; }
    public string? Notes { get; init; }
    public required List<ToolDefinition> Tools { get; init; }
}

/// <summary>
/// A native tool: a model-facing name, description and input schema, and the one HTTP request a call makes. Credentials
/// are not part of it; they come from the provider's <see cref="InjectDefinition"/>.
/// </summary>
public sealed class ToolDefinition
{
    /// <summary>provider.action, e.g. stripe.create_refund.</summary>
    public required string Name { get; init; }
    /// <summary>provider__action, for function-calling APIs that refuse dots.</summary>
    public required string OpenaiName { get; init; }
    public required string Title { get; init; }
    public required string Description { get; init; }
    /// <summary><see cref="ToolKinds.Read"/> or <see cref="ToolKinds.Write"/>.</summary>
    public required string Kind { get; init; }
    /// <summary>The action_permissions key the tool needs.</summary>
    public required string Permission { get; init; }
    /// <summary>The input's JSON Schema 2020-12 document, as written.</summary>
    public required JsonElement InputSchema { get; init; }
    public required ToolRequest Request { get; init; }
    public required ToolSuccess Success { get; init; }

    /// <summary>The provider name (the part of <see cref="Name"/> before the dot).</summary>
    [JsonIgnore] public string Provider => Name.Split('.', 2)[0];

    /// <summary>The file's api_version note: what API version the tool was written against.</summary>
    [JsonIgnore] public string ApiVersion { get; internal set; } = "";

    /// <summary>The compiled <see cref="InputSchema"/>, for validating a call's input (set by the loader).</summary>
    [JsonIgnore] public NJsonSchema.JsonSchema? InputValidator { get; internal set; }

    /// <summary>JSON pointers (into the input) of values marked x-switchboard-secret, which audit must leave out.</summary>
    [JsonIgnore] public IReadOnlyList<string> SecretInputs { get; internal set; } = [];

    [JsonIgnore] public bool IsWrite => Kind == ToolKinds.Write;
}

public static class ToolKinds
{
    public const string Read = "read", Write = "write";
}

/// <summary>The HTTP request of a tool. Inputs absent from a call are left out of query, headers and body.</summary>
public sealed class ToolRequest
{
    public required string Method { get; init; }
    /// <summary>Replaces the provider's api_base_url for this tool; an install's base_url_override still wins.</summary>
    public string? BaseUrl { get; init; }
    /// <summary>Relative to the base URL; {input}, {params.X} and {secrets.X} placeholders, values percent-encoded.</summary>
    public required string Path { get; init; }
    /// <summary>Input name → query parameter name.</summary>
    public Dictionary<string, string>? Query { get; init; }
    /// <summary>Header name → value template ({input}, {params.X}).</summary>
    public Dictionary<string, string>? Headers { get; init; }
    public ToolBody? Body { get; init; }
    public ToolGraphql? Graphql { get; init; }
}

public sealed class ToolBody
{
    /// <summary><see cref="ToolBodyEncodings.Json"/> or <see cref="ToolBodyEncodings.Form"/>.</summary>
    public required string Encoding { get; init; }
    /// <summary>Input name → JSON pointer of its place in the body. A shorter pointer holding an object input is written
    /// first and longer pointers inside it after (HubSpot: other_properties at /properties, email at /properties/email).</summary>
    public required Dictionary<string, string> Fields { get; init; }
}

public static class ToolBodyEncodings
{
    /// <summary>application/json.</summary>
    public const string Json = "json";
    /// <summary>application/x-www-form-urlencoded; see <see cref="JsonPointers.ToFormKey"/>.</summary>
    public const string Form = "form";
}

/// <summary>A fixed GraphQL document posted as {"query": Query, "variables": {...}}.</summary>
public sealed class ToolGraphql
{
    public required string Query { get; init; }
    /// <summary>Input name → JSON pointer inside the variables object.</summary>
    public Dictionary<string, string>? Variables { get; init; }
}

/// <summary>A call succeeded when the provider's status is listed and every JSON check holds.</summary>
public sealed class ToolSuccess
{
    public required List<int> Status { get; init; }
    public List<ToolJsonCheck>? Json { get; init; }
}

public sealed class ToolJsonCheck
{
    public required string Pointer { get; init; }
    /// <summary>The value at <see cref="Pointer"/> equals this (ValueKind Undefined when the check is "absent").</summary>
    [JsonPropertyName("equals")] public JsonElement Value { get; init; }
    /// <summary>True: nothing is at <see cref="Pointer"/>.</summary>
    public bool? Absent { get; init; }
}

/// <summary>RFC 6901 JSON pointers as the tool files use them (no empty segments).</summary>
public static class JsonPointers
{
    /// <summary>The unescaped segments of a pointer such as /ticket/comment/body; null when it is not a valid pointer.</summary>
    public static IReadOnlyList<string>? Split(string pointer)
    {
        if (pointer.Length < 2 || pointer[0] != '/') return null;
        var segments = new List<string>();
        foreach (var raw in pointer[1..].Split('/'))
        {
            if (raw.Length == 0) return null;
            for (var i = raw.IndexOf('~'); i >= 0; i = raw.IndexOf('~', i + 1))
                if (i + 1 >= raw.Length || raw[i + 1] is not ('0' or '1')) return null;
            segments.Add(raw.Replace("~1", "/").Replace("~0", "~"));
        }
        return segments;
    }

    /// <summary>The form key of a body pointer: /metadata/plan → metadata[plan] (Stripe's nested form keys).</summary>
    public static string ToFormKey(IReadOnlyList<string> segments) =>
        segments[0] + string.Concat(segments.Skip(1).Select(s => "[" + s + "]"));

    /// <summary>Whether <paramref name="prefix"/> is a proper prefix of <paramref name="pointer"/> (by segments).</summary>
    public static bool IsProperPrefix(IReadOnlyList<string> prefix, IReadOnlyList<string> pointer) =>
        prefix.Count < pointer.Count && prefix.SequenceEqual(pointer.Take(prefix.Count));
}
