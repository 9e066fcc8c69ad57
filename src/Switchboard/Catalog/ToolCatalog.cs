using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;

namespace Switchboard.Catalog;

/// <summary>
/// The native tools of the built-in providers, loaded from Catalog/tools/*.json and validated once at start
/// (tool.schema.json, then <see cref="ToolRules"/>). Invalid data stops the process.
/// </summary>
public sealed class ToolCatalog
{
    private readonly Dictionary<string, ToolDefinition> _byName;
    private readonly Dictionary<string, ToolDefinition> _byOpenAiName;
    private readonly Dictionary<string, IReadOnlyList<ToolDefinition>> _byProvider;

    /// <summary>Every tool, ordered by name.</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; }

    /// <summary>Names of the providers that have tools, ordered.</summary>
    public IReadOnlyList<string> Providers { get; }

    public ToolCatalog(IEnumerable<ToolDefinition> tools)
    {
        Tools = tools.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        _byName = Tools.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _byOpenAiName = Tools.ToDictionary(t => t.OpenaiName, StringComparer.Ordinal);
        _byProvider = Tools.GroupBy(t => t.Provider, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ToolDefinition>)g.ToArray(), StringComparer.Ordinal);
        Providers = _byProvider.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The tool named provider.action, or null.</summary>
    public ToolDefinition? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The tool whose openai_name (provider__action) this is, or null.</summary>
    public ToolDefinition? FindByOpenAiName(string openAiName) => _byOpenAiName.GetValueOrDefault(openAiName);

    /// <summary>The provider's tools ordered by name; empty when it has none.</summary>
    public IReadOnlyList<ToolDefinition> ForProvider(string provider) => _byProvider.GetValueOrDefault(provider) ?? [];

    /// <summary>Loads every tools/*.json under <paramref name="directory"/>; throws listing every problem found.</summary>
    public static ToolCatalog Load(string directory, ProviderCatalog providers)
    {
        var schema = LoadSchema(Path.Combine(directory, "tool.schema.json"));
        var errors = new List<string>();
        var tools = new List<ToolDefinition>();
        var fileOf = new Dictionary<ToolDefinition, string>(ReferenceEqualityComparer.Instance);
        var toolsDirectory = Path.Combine(directory, "tools");
        var files = Directory.Exists(toolsDirectory)
            ? Directory.EnumerateFiles(toolsDirectory, "*.json").Order(StringComparer.Ordinal).ToList()
            : [];
        if (files.Count == 0) errors.Add($"no tool files in {toolsDirectory}");
        foreach (var file in files)
        {
            var fileName = Path.GetFileName(file);
            var text = File.ReadAllText(file);
            var schemaErrors = schema.Validate(text);
            if (schemaErrors.Count > 0)
            {
                errors.AddRange(Flatten(schemaErrors).Select(e => $"{fileName}: {e.Path}: {e.Kind}").Distinct());
                continue;
            }
            ToolFile? toolFile;
            try { toolFile = JsonSerializer.Deserialize<ToolFile>(text, ProviderCatalog.Json); }
            catch (JsonException e) { errors.Add($"{fileName}: {e.Message}"); continue; }
            if (toolFile is null) { errors.Add($"{fileName}: empty"); continue; }
            if (toolFile.Provider + ".json" != fileName) errors.Add($"{fileName}: provider '{toolFile.Provider}' does not match the file name");
            var provider = providers.Find(toolFile.Provider);
            if (provider is null) { errors.Add($"{fileName}: provider '{toolFile.Provider}' is not in the catalog"); continue; }
            foreach (var tool in toolFile.Tools)
            {
                var problems = ToolRules.Check(tool, provider).ToList();
                var (validator, compileError) = ToolInputSchema.Compile(tool.InputSchema);
                if (validator is null) problems.Add($"input_schema does not compile: {compileError}");
                errors.AddRange(problems.Select(e => $"{fileName}: {tool.Name}: {e}"));
                tool.ApiVersion = toolFile.ApiVersion;
                tool.InputValidator = validator;
                tool.SecretInputs = new ToolInputSchema(tool.InputSchema).SecretPointers();
                tools.Add(tool);
                fileOf[tool] = fileName;
            }
        }
        string Where(IEnumerable<ToolDefinition> dups) => string.Join(", ", dups.Select(t => fileOf[t]));
        foreach (var dup in tools.GroupBy(t => t.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
            errors.Add($"tool name '{dup.Key}' is used {dup.Count()} times ({Where(dup)})");
        foreach (var dup in tools.GroupBy(t => t.OpenaiName, StringComparer.Ordinal).Where(g => g.Count() > 1))
            errors.Add($"openai_name '{dup.Key}' is used {dup.Count()} times ({Where(dup)})");
        if (errors.Count > 0) throw new InvalidDataException("Tool catalog is invalid:\n  " + string.Join("\n  ", errors));
        return new ToolCatalog(tools);
    }

    /// <summary>NJsonSchema nests the errors of array items and combinators; the leaves say what is wrong.</summary>
    private static IEnumerable<NJsonSchema.Validation.ValidationError> Flatten(IEnumerable<NJsonSchema.Validation.ValidationError> errors)
    {
        foreach (var e in errors)
        {
            if (e.Kind != NJsonSchema.Validation.ValidationErrorKind.ArrayItemNotValid) yield return e;
            if (e is NJsonSchema.Validation.ChildSchemaValidationError child)
                foreach (var inner in Flatten(child.Errors.Values.SelectMany(v => v))) yield return inner;
        }
    }

    /// <summary>
    /// tool.schema.json is JSON Schema 2020-12, which keeps its subschemas under $defs; NJsonSchema resolves references
    /// only into "definitions", so the keyword and the references are renamed before it reads the document.
    /// </summary>
    internal static JsonSchema LoadSchema(string path)
    {
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        RenameDefs(node);
        return JsonSchema.FromJsonAsync(node.ToJsonString()).GetAwaiter().GetResult();
    }

    private static void RenameDefs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$defs"] is { } defs) { o.Remove("$defs"); o["definitions"] = defs; }
                if (o["$ref"] is JsonValue r && r.TryGetValue<string>(out var target) && target.StartsWith("#/$defs/", StringComparison.Ordinal))
                    o["$ref"] = "#/definitions/" + target["#/$defs/".Length..];
                foreach (var (_, child) in o.ToList()) RenameDefs(child);
                break;
            case JsonArray a:
                foreach (var child in a) RenameDefs(child);
                break;
        }
    }
}
