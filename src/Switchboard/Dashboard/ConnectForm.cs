using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Catalog;
using Switchboard.Http;
using static Switchboard.Http.HtmlPage;

namespace Switchboard.Dashboard;

/// <summary>
/// The install form of one provider, built from its params and secrets schema: rendering (labels, hints,
/// errors next to their fields) and turning a posted form into the JSON body the Kataven install takes.
/// Field names are "params.NAME" and "secrets.NAME", as in the validation error paths.
/// </summary>
public static class ConnectForm
{
    public const string NonceField = "_nonce";

    private static readonly HashSet<string> Acronyms = ["id", "api", "url", "arn", "sid", "dc", "sso", "ip"];

    /// <summary>The form as an install body (empty fields left out) and the param values to show again on error.</summary>
    public static (JsonElement Body, JsonObject Params, List<string> SecretNames, Dictionary<string, string> ParamValues) ToInstallBody(
        IFormCollection form, ProviderDefinition provider)
    {
        var parameters = new JsonObject();
        var secrets = new JsonObject();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in provider.Params)
        {
            var text = form["params." + field.Name].FirstOrDefault()?.Trim();
            if (string.IsNullOrEmpty(text)) continue;
            values[field.Name] = text;
            parameters[field.Name] = Typed(field, text);
        }
        foreach (var field in provider.Secrets)
        {
            // Secrets are taken as typed: whitespace may be part of a password.
            var text = form["secrets." + field.Name].FirstOrDefault();
            if (string.IsNullOrEmpty(text)) continue;
            secrets[field.Name] = text;
        }
        var body = new JsonObject { ["params"] = parameters.DeepClone(), ["secrets"] = secrets };
        return (JsonSerializer.SerializeToElement(body), parameters, secrets.Select(s => s.Key).ToList(), values);
    }

    /// <summary>Form text to the JSON type the field declares; text that does not convert stays text, so validation names the problem.</summary>
    private static JsonNode Typed(FieldDefinition field, string text) => field.Type switch
    {
        "integer" when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        "number" when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
        "boolean" when text is "true" or "on" => JsonValue.Create(true),
        "boolean" when text is "false" => JsonValue.Create(false),
        _ => JsonValue.Create(text),
    };

    /// <summary>Values a fresh form starts with: the catalog defaults.</summary>
    public static Dictionary<string, string> Defaults(ProviderDefinition provider) =>
        provider.Params.Where(f => f.Default is not null)
            .ToDictionary(f => f.Name, f => f.Default!.Value.ValueKind == JsonValueKind.String ? f.Default.Value.GetString()! : f.Default.Value.GetRawText());

    public static string Render(ProviderDefinition provider, string submitLabel, string nonce,
        IReadOnlyDictionary<string, string> values, IReadOnlyList<FieldError> errors)
    {
        var byField = errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToList());
        var html = new StringBuilder();
        if (errors.Count > 0) html.Append(Summary(errors, provider));
        html.Append("<form method=\"post\" novalidate>\n");
        html.Append($"<input type=\"hidden\" name=\"{NonceField}\" value=\"{H(nonce)}\">\n");
        if (provider.Params.Count > 0)
        {
            html.Append("<fieldset>\n<legend>Settings</legend>\n");
            foreach (var f in provider.Params) html.Append(Field("params", f, values.GetValueOrDefault(f.Name), byField.GetValueOrDefault("params." + f.Name)));
            html.Append("</fieldset>\n");
        }
        if (provider.Secrets.Count > 0)
        {
            html.Append("<fieldset aria-describedby=\"secrets-note\">\n<legend>Credentials</legend>\n");
            html.Append("<p class=\"hint\" id=\"secrets-note\">Stored encrypted. They are never shown again, not even on this page.</p>\n");
            foreach (var f in provider.Secrets) html.Append(Field("secrets", f, null, byField.GetValueOrDefault("secrets." + f.Name)));
            html.Append("</fieldset>\n");
        }
        if (provider.Params.Count == 0 && provider.Secrets.Count == 0)
            html.Append("<p>This provider needs no credentials.</p>\n");
        html.Append($"<button type=\"submit\">{H(submitLabel)}</button>\n</form>\n");
        return html.ToString();
    }

    public static string Label(string name) => string.Join(' ', name.Split('_', StringSplitOptions.RemoveEmptyEntries)
        .Select((w, i) => Acronyms.Contains(w) ? w.ToUpperInvariant() : i == 0 ? char.ToUpperInvariant(w[0]) + w[1..] : w));

    private static string Id(string group, string name) => $"f-{group}-{name}";

    private static string Summary(IReadOnlyList<FieldError> errors, ProviderDefinition provider)
    {
        var known = provider.Params.Select(f => "params." + f.Name).Concat(provider.Secrets.Select(f => "secrets." + f.Name)).ToHashSet();
        var items = new StringBuilder();
        foreach (var e in errors)
        {
            var dot = e.Field.IndexOf('.');
            items.Append(known.Contains(e.Field)
                ? $"<li><a href=\"#{H(Id(e.Field[..dot], e.Field[(dot + 1)..]))}\">{H(e.Message)}</a></li>"
                : $"<li>{H(e.Message)}</li>");
        }
        return $"""
            <div class="summary" role="alert" aria-labelledby="summary-title" tabindex="-1">
            <h2 id="summary-title">There is a problem</h2>
            <ul>{items}</ul>
            </div>

            """;
    }

    private static string Field(string group, FieldDefinition f, string? value, List<string>? errors)
    {
        var id = Id(group, f.Name);
        var secret = group == "secrets";
        var described = new List<string>();
        var html = new StringBuilder($"<div class=\"field{(errors is null ? "" : " invalid")}\">\n");
        html.Append($"<label for=\"{H(id)}\">{H(Label(f.Name))}{(f.Required ? " <span class=\"req\">(required)</span>" : "")}</label>\n");

        var hint = new StringBuilder(H(f.Description));
        if (f.Pattern is not null) hint.Append($" Expected format (regular expression): <code>{H(f.Pattern)}</code>");
        if (f.Enum is { Count: > 0 }) hint.Append($" One of: {H(string.Join(", ", f.Enum))}.");
        if (hint.Length > 0)
        {
            described.Add(id + "-hint");
            html.Append($"<p class=\"hint\" id=\"{H(id)}-hint\">{hint.ToString().Trim()}</p>\n");
        }
        if (errors is not null)
        {
            described.Add(id + "-error");
            html.Append($"<p class=\"error\" id=\"{H(id)}-error\"><span class=\"sr\">Error: </span>{H(string.Join(" ", errors))}</p>\n");
        }

        var common = $"id=\"{H(id)}\" name=\"{H(group + "." + f.Name)}\"" +
                     (described.Count > 0 ? $" aria-describedby=\"{H(string.Join(' ', described))}\"" : "") +
                     (errors is not null ? " aria-invalid=\"true\"" : "") +
                     (f.Required ? " required" : "");
        if (secret && IsMultiline(f))
            html.Append($"<textarea {common} autocomplete=\"off\" spellcheck=\"false\" autocapitalize=\"off\"></textarea>\n");
        else if (secret)
            html.Append($"<input {common} type=\"password\" autocomplete=\"off\" spellcheck=\"false\" autocapitalize=\"off\">\n");
        else if (f.Enum is { Count: > 0 } || f.Type == "boolean")
            html.Append(Select(common, f, value));
        else
            html.Append($"<input {common} type=\"{InputType(f)}\"{(f.Type == "integer" ? " step=\"1\" inputmode=\"numeric\"" : f.Type == "number" ? " step=\"any\" inputmode=\"decimal\"" : "")} value=\"{H(value)}\" autocomplete=\"off\" spellcheck=\"false\" autocapitalize=\"off\">\n");
        html.Append("</div>\n");
        return html.ToString();
    }

    private static string Select(string common, FieldDefinition f, string? value)
    {
        var options = f.Type == "boolean" && f.Enum is not { Count: > 0 }
            ? new List<(string Value, string Text)> { ("true", "Yes"), ("false", "No") }
            : f.Enum!.Select(v => (v, v)).ToList();
        var html = new StringBuilder($"<select {common}>\n");
        if (!f.Required || value is null) html.Append($"<option value=\"\"{(value is null ? " selected" : "")}>{(f.Required ? "Choose…" : "Not set")}</option>\n");
        foreach (var (v, text) in options)
            html.Append($"<option value=\"{H(v)}\"{(v == value ? " selected" : "")}>{H(text)}</option>\n");
        return html.Append("</select>\n").ToString();
    }

    private static string InputType(FieldDefinition f) => f.Type switch
    {
        "url" => "url",
        "email" => "email",
        "integer" or "number" => "number",
        _ => "text",
    };

    /// <summary>PEM keys span several lines, which a password input cannot hold.</summary>
    private static bool IsMultiline(FieldDefinition f) => f.Pattern?.Contains("-----BEGIN", StringComparison.Ordinal) == true;
}
