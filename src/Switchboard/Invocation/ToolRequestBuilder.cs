using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Switchboard.Catalog;
using Switchboard.Credentials;

namespace Switchboard.Invocation;

/// <summary>
/// The one HTTP request a tool call makes, from the tool's request spec and a validated input: base URL (the install's
/// base_url_override, else the tool's base_url, else the provider's api_base_url), path with percent-encoded values,
/// query, extra headers and a JSON, form or GraphQL body. Inputs absent from the call are left out. No credential:
/// <see cref="CredentialInjector"/> adds it afterwards.
/// </summary>
public static partial class ToolRequestBuilder
{
    [GeneratedRegex(@"\{(?:(params|secrets)\.)?([a-z][a-z0-9_]*)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\{secrets\.([a-z0-9_]+)\}")]
    private static partial Regex SecretPlaceholder();

    /// <summary>The request, or null when the install's URL cannot be built (a param is not a host).</summary>
    public static HttpRequestMessage? Build(ToolDefinition tool, JsonObject input, IntegrationApp app)
    {
        var spec = tool.Request;
        var baseTemplate = app.Row.BaseUrlOverride ?? spec.BaseUrl ?? app.Provider.ApiBaseUrl;
        if (baseTemplate is null) return null;
        var baseText = UrlTemplate.Fill(baseTemplate, app.Param);
        if (baseText is null) return null;
        baseText = SecretPlaceholder().Replace(baseText, m => Uri.EscapeDataString(app.Secret(m.Groups[1].Value) ?? ""));
        var path = Placeholder().Replace(spec.Path, m => Uri.EscapeDataString(Value(m.Groups[2].Value, m.Groups[1].Value, input, app) ?? ""));
        var url = baseText.TrimEnd('/') + path;
        if (spec.Query is { } query)
            url = QueryHelpers.AddQueryString(url, query.Where(q => input[q.Key] is not null)
                .Select(q => new KeyValuePair<string, string?>(q.Value, Scalar(input[q.Key]!))));
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;

        var request = new HttpRequestMessage(new HttpMethod(spec.Method), uri);
        foreach (var (name, template) in spec.Headers ?? [])
        {
            var absent = false;
            var value = Placeholder().Replace(template, m =>
            {
                var v = Value(m.Groups[2].Value, m.Groups[1].Value, input, app);
                if (v is null) absent = true;
                return v ?? "";
            });
            if (!absent) request.Headers.TryAddWithoutValidation(name, value);
        }
        if (spec.Body is { } body)
            request.Content = body.Encoding == ToolBodyEncodings.Form ? FormBody(body.Fields, input) : JsonContent(Place(body.Fields, input));
        else if (spec.Graphql is { } gql)
            request.Content = JsonContent(new JsonObject { ["query"] = gql.Query, ["variables"] = Place(gql.Variables ?? [], input) });
        return request;
    }

    /// <summary>An input (path: percent-encoded later), a param (with its default) or a secret; null when unset.</summary>
    private static string? Value(string name, string scope, JsonObject input, IntegrationApp app) => scope switch
    {
        "params" => app.Param(name),
        "secrets" => app.Secret(name),
        _ => input[name] is { } node ? Scalar(node) : null,
    };

    /// <summary>Query, form and template values are strings; booleans are true/false.</summary>
    private static string Scalar(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => node.ToJsonString(),
        _ => node.ToJsonString(),
    };

    /// <summary>Inputs placed at their pointers; shorter pointers first, so an object input is written before fields inside it.</summary>
    private static JsonObject Place(Dictionary<string, string> fields, JsonObject input)
    {
        var root = new JsonObject();
        foreach (var (name, pointer) in fields.OrderBy(f => JsonPointers.Split(f.Value)!.Count).ThenBy(f => f.Key, StringComparer.Ordinal))
        {
            if (input[name] is not { } value) continue;
            var segments = JsonPointers.Split(pointer)!;
            var parent = root;
            foreach (var segment in segments.Take(segments.Count - 1))
            {
                if (parent[segment] is not JsonObject child) parent[segment] = child = new JsonObject();
                parent = child;
            }
            parent[segments[^1]] = value.DeepClone();
        }
        return root;
    }

    private static FormUrlEncodedContent FormBody(Dictionary<string, string> fields, JsonObject input)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var (name, pointer) in fields.OrderBy(f => f.Value, StringComparer.Ordinal))
        {
            if (input[name] is not { } value) continue;
            var segments = JsonPointers.Split(pointer)!;
            if (value is JsonObject obj)
                foreach (var (key, inner) in obj)
                {
                    if (inner is null) continue;
                    pairs.Add(new(JsonPointers.ToFormKey([.. segments, key]), Scalar(inner)));
                }
            else pairs.Add(new(JsonPointers.ToFormKey(segments), Scalar(value)));
        }
        return new FormUrlEncodedContent(pairs);
    }

    private static StringContent JsonContent(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>Ok as the tool defines it: a listed status and every JSON check holding.</summary>
    public static bool IsSuccess(ToolSuccess success, int status, JsonNode? body)
    {
        if (!success.Status.Contains(status)) return false;
        foreach (var check in success.Json ?? [])
        {
            var found = At(body, JsonPointers.Split(check.Pointer)!);
            if (check.Absent == true) { if (found.Exists) return false; continue; }
            if (!found.Exists) return false;
            var expected = JsonNode.Parse(check.Value.GetRawText());
            if (!JsonNode.DeepEquals(found.Node, expected)) return false;
        }
        return true;
    }

    private static (bool Exists, JsonNode? Node) At(JsonNode? node, IReadOnlyList<string> segments)
    {
        foreach (var s in segments)
        {
            switch (node)
            {
                case JsonObject o when o.TryGetPropertyValue(s, out var child): node = child; break;
                case JsonArray a when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count: node = a[i]; break;
                default: return (false, null);
            }
        }
        return (true, node);
    }
}
