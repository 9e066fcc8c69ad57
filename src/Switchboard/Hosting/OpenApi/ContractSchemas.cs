using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Switchboard.ApiKeys;
using Switchboard.Catalog;
using Switchboard.Health;
using Switchboard.Integrations;
using Switchboard.Lifecycle;
using Switchboard.OAuth;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Hosting.OpenApi;

/// <summary>
/// Schemas as the wire has them: numbers are written as numbers (the generator's "integer or string" comes from reading
/// options), a member left out when null is optional and never null, and closed value sets are enums taken from the
/// catalog, the lifecycle and the scopes themselves — never a hand-kept list.
/// </summary>
public sealed class ContractSchemas : IOpenApiSchemaTransformer
{
    private static readonly Dictionary<(Type, string), string[]> Enums = Build();

    private static Dictionary<(Type, string), string[]> Build()
    {
        var statuses = Constants(typeof(IntegrationStatus));
        var health = Constants(typeof(HealthStatuses));
        var requestable = statuses.Where(s => IntegrationLifecycle.TriggerFor(s) is not null).ToArray();
        var map = new Dictionary<(Type, string), string[]>
        {
            [(typeof(IntegrationView), "status")] = statuses.Select(IntegrationStatus.KatavenView).Distinct().ToArray(),
            [(typeof(CatalogEntryView), "status")] = statuses,
            [(typeof(ProjectIntegrationView), "status")] = statuses,
            [(typeof(LifecyclePatch), "status")] = requestable,
            [(typeof(CatalogEntryView), "health_status")] = health,
            [(typeof(ProjectIntegrationView), "health_status")] = health,
            [(typeof(HealthView), "health_status")] = health,
            [(typeof(IntegrationUser), "status")] = Constants(typeof(ConnectionStatus)),
            [(typeof(ApiKeyView), "scopes")] = Scopes.All,
            [(typeof(CreateApiKeyRequest), "scopes")] = Scopes.All,
            [(typeof(ToolregistryIntegration), "authType")] = AuthTypes.All.Select(ToolregistryList.AuthTypeOf).Distinct().ToArray(),
            [(typeof(FieldView), "type")] = FieldTypes.All,
            [(typeof(FieldDefinition), "type")] = FieldTypes.All,
        };
        foreach (var t in new[] { typeof(IntegrationView), typeof(CatalogEntryView), typeof(ProviderDefinition) })
        {
            map[(t, "category")] = Categories.All;
            map[(t, "auth_type")] = AuthTypes.All;
        }
        return map;
    }

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        // A free JSON object (params, settings, audit data) takes any members.
        if (context.JsonTypeInfo.Type == typeof(JsonObject) && schema.AdditionalProperties is null) schema.AdditionalProperties = new OpenApiSchema();

        if (context.JsonPropertyInfo is { } property && Enums.TryGetValue((property.DeclaringType, property.Name), out var values))
        {
            var target = schema.Type?.HasFlag(JsonSchemaType.Array) == true && schema.Items is OpenApiSchema items ? items : schema;
            var nullable = target.Type?.HasFlag(JsonSchemaType.Null) == true;
            target.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
            if (nullable) target.Enum.Add(null!);
        }

        if (context.JsonPropertyInfo is null && schema.Properties is { } properties && schema.Required is { } required)
            foreach (var p in context.JsonTypeInfo.Properties)
                if (p.AttributeProvider?.GetCustomAttributes(typeof(JsonIgnoreAttribute), true).OfType<JsonIgnoreAttribute>()
                        .Any(a => a.Condition == JsonIgnoreCondition.WhenWritingNull) == true)
                {
                    required.Remove(p.Name);
                    if (properties.TryGetValue(p.Name, out var ps) && ps is OpenApiSchema s && s.Type is { } t) s.Type = t & ~JsonSchemaType.Null;
                }
        return Task.CompletedTask;
    }

    /// <summary>The values of a class of string constants (IntegrationStatus, HealthStatuses, …).</summary>
    public static string[] Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!).ToArray();
}
