using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchboard.Catalog;

/// <summary>
/// A read-only view of a tool's input_schema for the rules: the top-level inputs, which are required, and checks of
/// the schema itself (patterns compile, defaults and examples satisfy their own node, required names exist).
/// </summary>
public sealed class ToolInputSchema
{
    public const string SecretKeyword = "x-switchboard-secret";
    private static readonly string[] Scalars = ["string", "integer", "number", "boolean"];

    private readonly JsonElement _root;

    /// <summary>Input name → its schema node.</summary>
    public IReadOnlyDictionary<string, JsonElement> Inputs { get; }

    /// <summary>Inputs listed in the root's required.</summary>
    public IReadOnlySet<string> Required { get; }

    /// <summary>Inputs named in an anyOf/oneOf alternative of required inputs.</summary>
    public IReadOnlySet<string> RequiredInSomeAlternative { get; }

    public ToolInputSchema(JsonElement root)
    {
        _root = root;
        var inputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object)
            foreach (var p in props.EnumerateObject()) inputs[p.Name] = p.Value;
        Inputs = inputs;
        Required = Names(root, "required").ToHashSet(StringComparer.Ordinal);
        RequiredInSomeAlternative = Alternatives(root).SelectMany(a => a).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The node's "type", or null.</summary>
    public static string? TypeOf(JsonElement node) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    public static bool IsScalar(JsonElement node) => TypeOf(node) is { } t && Scalars.Contains(t);

    public static bool IsSecret(JsonElement node) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(SecretKeyword, out var s) && s.ValueKind == JsonValueKind.True;

    /// <summary>A scalar, or an object whose properties and additionalProperties are scalars (what a form body can carry).</summary>
    public static bool IsFlat(JsonElement node)
    {
        if (IsScalar(node)) return true;
        if (TypeOf(node) != "object") return false;
        if (node.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object
            && props.EnumerateObject().Any(p => !IsScalar(p.Value))) return false;
        return !node.TryGetProperty("additionalProperties", out var extra) || extra.ValueKind is JsonValueKind.False
            || (extra.ValueKind == JsonValueKind.Object && IsScalar(extra));
    }

    /// <summary>Pointers into the input of every value marked x-switchboard-secret ("*" stands for any key or index).</summary>
    public IReadOnlyList<string> SecretPointers()
    {
        var found = new List<string>();
        foreach (var (name, node) in Inputs) Walk(node, "/" + Escape(name), (n, at) => { if (IsSecret(n)) found.Add(at); });
        return found;
    }

    /// <summary>Problems of the schema itself that the tool schema cannot express.</summary>
    public IEnumerable<string> Problems()
    {
        if (TypeOf(_root) != "object") { yield return "input_schema: the root is not type object"; yield break; }
        if (!_root.TryGetProperty("additionalProperties", out var extra) || extra.ValueKind != JsonValueKind.False)
            yield return "input_schema: the root must have additionalProperties false";
        foreach (var name in Required.Concat(RequiredInSomeAlternative).Distinct().Where(n => !Inputs.ContainsKey(n)))
            yield return $"input_schema: required '{name}' is not a property";

        var problems = new List<string>();
        foreach (var (name, node) in Inputs)
        {
            if (!node.TryGetProperty("description", out var d) || d.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(d.GetString()))
                problems.Add($"input_schema: input '{name}' has no description");
            Walk(node, "/" + Escape(name), (n, at) => problems.AddRange(NodeProblems(n, at)));
        }
        foreach (var p in problems) yield return p;
    }

    private static IEnumerable<string> NodeProblems(JsonElement node, string at)
    {
        if (node.ValueKind != JsonValueKind.Object) yield break;
        if (node.TryGetProperty("pattern", out var pattern) && (pattern.ValueKind != JsonValueKind.String || !PatternCompiles(pattern.GetString()!)))
            yield return $"input_schema {at}: pattern does not compile";
        if (node.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object)
            foreach (var name in Names(node, "required").Where(n => !props.TryGetProperty(n, out _)))
                yield return $"input_schema {at}: required '{name}' is not a property";
        if (node.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array && TypeOf(node) is { } type)
            foreach (var v in values.EnumerateArray().Where(x => !Fits(type, x)))
                yield return $"input_schema {at}: enum value {Truncate(v.GetRawText())} is not of type {type}";
        var samples = new List<(string What, JsonElement Value)>();
        if (node.TryGetProperty("default", out var def)) samples.Add(("default", def));
        if (node.TryGetProperty("examples", out var examples) && examples.ValueKind == JsonValueKind.Array)
            samples.AddRange(examples.EnumerateArray().Select(e => ("example", e)));
        if (samples.Count == 0) yield break;
        var (compiled, error) = Compile(node);
        if (compiled is null) { yield return $"input_schema {at}: does not compile ({error})"; yield break; }
        foreach (var (what, value) in samples.Where(s => compiled.Validate(s.Value.GetRawText()).Count > 0))
            yield return $"input_schema {at}: {what} {Truncate(value.GetRawText())} does not satisfy the schema";
    }

    /// <summary>Compiles a schema with NJsonSchema, the validator the invoke path uses.</summary>
    internal static (NJsonSchema.JsonSchema? Schema, string? Error) Compile(JsonElement schema)
    {
        try { return (NJsonSchema.JsonSchema.FromJsonAsync(schema.GetRawText()).GetAwaiter().GetResult(), null); }
        catch (Exception e) { return (null, e.Message); }
    }

    private static bool Fits(string type, JsonElement v) => type switch
    {
        "string" => v.ValueKind == JsonValueKind.String,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
        "number" => v.ValueKind == JsonValueKind.Number,
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => v.ValueKind == JsonValueKind.Array,
        "object" => v.ValueKind == JsonValueKind.Object,
        _ => false,
    };

    private static void Walk(JsonElement node, string at, Action<JsonElement, string> visit)
    {
        visit(node, at);
        if (node.ValueKind != JsonValueKind.Object) return;
        if (node.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object)
            foreach (var p in props.EnumerateObject()) Walk(p.Value, at + "/" + Escape(p.Name), visit);
        if (node.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object) Walk(items, at + "/*", visit);
        if (node.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object) Walk(extra, at + "/*", visit);
    }

    private static IEnumerable<string> Names(JsonElement node, string keyword) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(keyword, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)
            : [];

    private static IEnumerable<IEnumerable<string>> Alternatives(JsonElement root)
    {
        foreach (var keyword in new[] { "anyOf", "oneOf" })
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(keyword, out var alts) && alts.ValueKind == JsonValueKind.Array)
                foreach (var alt in alts.EnumerateArray()) yield return Names(alt, "required");
    }

    private static string Escape(string segment) => segment.Replace("~", "~0").Replace("/", "~1");

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..57] + "...";

    internal static bool PatternCompiles(string pattern)
    {
        try { _ = new Regex(pattern, RegexOptions.ECMAScript, TimeSpan.FromMilliseconds(100)); return true; }
        catch (ArgumentException) { return false; }
    }
}
