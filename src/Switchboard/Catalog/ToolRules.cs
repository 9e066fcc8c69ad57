using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchboard.Catalog;

/// <summary>
/// Checks on a tool definition that tool.schema.json cannot express: names agree with each other and the provider,
/// every placeholder and mapping names a declared input or provider field, every input is sent somewhere, inputs go
/// only where their type can travel, and nothing in a tool carries a credential.
/// </summary>
public static partial class ToolRules
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    private static readonly string[] ReservedHeaders = ["Authorization", "Content-Type", "Content-Length", "Host", "Cookie"];

    [GeneratedRegex(@"^[a-z0-9_]+\.[a-z0-9_]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex OpenAiNamePattern();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex PermissionPattern();

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?:(params|secrets)\.)?([a-z][a-z0-9_]*)$")]
    private static partial Regex PlaceholderBody();

    [GeneratedRegex(@"\$([A-Za-z_][A-Za-z0-9_]*)\s*:")]
    private static partial Regex GraphqlVariable();

    public const int MaxNameLength = 64, MaxDescriptionLength = 1024;

    /// <summary>The openai_name a tool name must have: the dot becomes a double underscore.</summary>
    public static string OpenAiNameFor(string name) => name.Replace(".", "__", StringComparison.Ordinal);

    public static IEnumerable<string> Check(ToolDefinition t, ProviderDefinition p)
    {
        var errors = new List<string>();
        CheckNames(t, p, errors);
        var input = new ToolInputSchema(t.InputSchema);
        errors.AddRange(input.Problems());
        var used = new HashSet<string>(StringComparer.Ordinal);
        CheckRequest(t, p, input, used, errors);
        CheckSuccess(t.Success, errors);
        foreach (var name in input.Inputs.Keys.Where(n => !used.Contains(n)))
            errors.Add($"input '{name}' is not sent anywhere (path, query, headers, body or graphql variables)");
        if (p.Inject is null && p.AuthType != AuthTypes.None)
            errors.Add($"provider '{p.Name}' has no inject spec, so its tools could not authenticate");
        return errors;
    }

    private static void CheckNames(ToolDefinition t, ProviderDefinition p, List<string> errors)
    {
        if (t.Name.Length > MaxNameLength || !NamePattern().IsMatch(t.Name))
            errors.Add($"name '{t.Name}' is not provider.action (^[a-z0-9_]+\\.[a-z0-9_]+$, at most {MaxNameLength} characters)");
        else if (t.Provider != p.Name) errors.Add($"name '{t.Name}' does not start with its provider '{p.Name}.'");
        if (!OpenAiNamePattern().IsMatch(t.OpenaiName)) errors.Add($"openai_name '{t.OpenaiName}' does not match ^[a-zA-Z0-9_-]{{1,64}}$");
        else if (t.OpenaiName != OpenAiNameFor(t.Name)) errors.Add($"openai_name '{t.OpenaiName}' should be '{OpenAiNameFor(t.Name)}'");
        if (t.Description.Length > MaxDescriptionLength) errors.Add($"description is {t.Description.Length} characters, more than {MaxDescriptionLength}");
        if (t.Kind is not (ToolKinds.Read or ToolKinds.Write)) errors.Add($"kind '{t.Kind}' is not read or write");
        if (!PermissionPattern().IsMatch(t.Permission)) errors.Add($"permission '{t.Permission}' is not a snake_case action_permissions key");
    }

    private static void CheckRequest(ToolDefinition t, ProviderDefinition p, ToolInputSchema input, HashSet<string> used, List<string> errors)
    {
        var r = t.Request;
        if (!Methods.Contains(r.Method)) errors.Add($"request.method '{r.Method}' is not one of {string.Join(", ", Methods)}");
        if (r.Method == "GET" && t.Kind != ToolKinds.Read) errors.Add("a GET tool must be kind read");
        if ((r.Method is "GET" or "DELETE") && (r.Body is not null || r.Graphql is not null)) errors.Add($"a {r.Method} request has no body");
        if (r.Body is not null && r.Graphql is not null) errors.Add("request has both body and graphql");

        if (r.BaseUrl is not null) CheckTemplate("request.base_url", r.BaseUrl, p, input, used, errors, allowInputs: false, allowSecrets: true);
        CheckTemplate("request.path", r.Path, p, input, used, errors, allowInputs: true, allowSecrets: true, inPath: true);

        foreach (var (name, wire) in r.Query ?? [])
        {
            if (!Declared(name, "request.query", input, errors)) continue;
            used.Add(name);
            if (!ToolInputSchema.IsScalar(input.Inputs[name])) errors.Add($"request.query: input '{name}' is not a string, integer, number or boolean");
            if (ToolInputSchema.IsSecret(input.Inputs[name])) errors.Add($"request.query: input '{name}' is secret and may not go in the URL");
            if (string.IsNullOrEmpty(wire)) errors.Add($"request.query: input '{name}' maps to an empty parameter name");
        }

        var injected = p.Inject?.Headers?.Keys ?? Enumerable.Empty<string>();
        foreach (var (name, template) in r.Headers ?? [])
        {
            if (ReservedHeaders.Concat(injected).Contains(name, StringComparer.OrdinalIgnoreCase))
                errors.Add($"request.headers: {name} is set by Switchboard (credentials come from the provider's inject spec, the content type from the body)");
            CheckTemplate($"request.headers.{name}", template, p, input, used, errors, allowInputs: true, allowSecrets: false);
        }

        if (r.Body is { } body)
        {
            if (body.Encoding is not (ToolBodyEncodings.Json or ToolBodyEncodings.Form)) errors.Add($"request.body.encoding '{body.Encoding}' is not json or form");
            CheckPointers("request.body.fields", body.Fields, input, used, errors, form: body.Encoding == ToolBodyEncodings.Form);
        }

        if (r.Graphql is { } gql)
        {
            if (r.Method != "POST") errors.Add("a graphql request is a POST");
            if (r.Query is not null) errors.Add("a graphql request takes its inputs as variables, not query parameters");
            var declared = GraphqlVariable().Matches(gql.Query).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            var variables = gql.Variables ?? [];
            CheckPointers("request.graphql.variables", variables, input, used, errors, form: false);
            foreach (var (name, pointer) in variables)
                if (JsonPointers.Split(pointer) is { } segments && !declared.Contains(segments[0]))
                    errors.Add($"request.graphql.variables: input '{name}' fills ${segments[0]}, which the document does not declare");
        }
    }

    private static bool Declared(string name, string where, ToolInputSchema input, List<string> errors)
    {
        if (input.Inputs.ContainsKey(name)) return true;
        errors.Add($"{where}: '{name}' is not an input (a property of input_schema)");
        return false;
    }

    private static void CheckTemplate(string where, string template, ProviderDefinition p, ToolInputSchema input, HashSet<string> used,
        List<string> errors, bool allowInputs, bool allowSecrets, bool inPath = false)
    {
        foreach (Match m in Placeholder().Matches(template))
        {
            var body = PlaceholderBody().Match(m.Groups[1].Value);
            if (!body.Success) { errors.Add($"{where}: placeholder {m.Value} is not {{input}}, {{params.NAME}} or {{secrets.NAME}}"); continue; }
            var (scope, name) = (body.Groups[1].Value, body.Groups[2].Value);
            if (scope == "params")
            {
                var field = p.Params.FirstOrDefault(f => f.Name == name);
                if (field is null) errors.Add($"{where}: placeholder {m.Value} names no param of provider '{p.Name}'");
                else if (!field.Required && field.Default is null) errors.Add($"{where}: param '{name}' may be unset (not required, no default)");
            }
            else if (scope == "secrets")
            {
                var field = p.Secrets.FirstOrDefault(f => f.Name == name);
                if (!allowSecrets) errors.Add($"{where}: secrets go on a request only through the provider's inject spec");
                else if (field is null) errors.Add($"{where}: placeholder {m.Value} names no secret of provider '{p.Name}'");
                else if (!field.Required) errors.Add($"{where}: secret '{name}' may be unset (not required)");
            }
            else if (!allowInputs) errors.Add($"{where}: placeholder {m.Value} may only name params or secrets");
            else if (Declared(name, where, input, errors))
            {
                used.Add(name);
                var node = input.Inputs[name];
                if (ToolInputSchema.TypeOf(node) is not ("string" or "integer" or "number")) errors.Add($"{where}: input '{name}' is not a string or number");
                if (inPath && !input.Required.Contains(name)) errors.Add($"{where}: path input '{name}' is not required");
                if (inPath && ToolInputSchema.IsSecret(node)) errors.Add($"{where}: input '{name}' is secret and may not go in the URL");
            }
        }
    }

    private static void CheckPointers(string where, Dictionary<string, string> map, ToolInputSchema input, HashSet<string> used,
        List<string> errors, bool form)
    {
        var parsed = new List<(string Name, IReadOnlyList<string> Segments)>();
        foreach (var (name, pointer) in map)
        {
            var segments = JsonPointers.Split(pointer);
            if (segments is null) errors.Add($"{where}: '{pointer}' is not a JSON pointer such as /ticket/subject");
            if (!Declared(name, where, input, errors)) continue;
            used.Add(name);
            if (form && !ToolInputSchema.IsFlat(input.Inputs[name]))
                errors.Add($"{where}: input '{name}' cannot be form-encoded (only scalars and objects of scalars)");
            if (segments is not null) parsed.Add((name, segments));
        }
        foreach (var a in parsed)
        foreach (var b in parsed.Where(b => b.Name != a.Name))
        {
            if (a.Segments.SequenceEqual(b.Segments) && string.CompareOrdinal(a.Name, b.Name) < 0)
                errors.Add($"{where}: inputs '{a.Name}' and '{b.Name}' go to the same place");
            else if (JsonPointers.IsProperPrefix(a.Segments, b.Segments) && ToolInputSchema.TypeOf(input.Inputs[a.Name]) != "object")
                errors.Add($"{where}: input '{b.Name}' goes inside '{a.Name}', which is not an object");
        }
    }

    private static void CheckSuccess(ToolSuccess s, List<string> errors)
    {
        if (s.Status.Count == 0) errors.Add("success.status lists no status");
        foreach (var status in s.Status.Where(x => x is < 100 or > 599)) errors.Add($"success.status {status} is not an HTTP status");
        foreach (var check in s.Json ?? [])
        {
            if (JsonPointers.Split(check.Pointer) is null) errors.Add($"success.json: '{check.Pointer}' is not a JSON pointer");
            var hasValue = check.Value.ValueKind != JsonValueKind.Undefined;
            if (hasValue == (check.Absent == true)) errors.Add($"success.json {check.Pointer}: give exactly one of equals and absent: true");
        }
    }
}
