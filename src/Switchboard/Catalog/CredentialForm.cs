using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Http;
using static Switchboard.Http.HtmlPage;

namespace Switchboard.Catalog;

/// <summary>
/// The credential form of one provider, built from its params and secrets schema: rendering (labels, hints,
/// errors next to their fields) and turning a posted form into the JSON body the Kataven install takes.
/// Field names are "params.NAME" and "secrets.NAME", as in the validation error paths. Shared by the operator's
/// install page (Dashboard) and the end user's connect page (Connect); for end users (<see cref="FormAudience.EndUser"/>)
/// hints are plain language (never a regular expression) and errors name the field by its label, never by its key.
/// </summary>
public static class CredentialForm
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
        IReadOnlyDictionary<string, string> values, IReadOnlyList<FieldError> errors, FormAudience audience = FormAudience.Operator)
    {
        if (audience == FormAudience.EndUser) errors = errors.Select(e => ForEndUser(e, provider)).ToList();
        var endUser = audience == FormAudience.EndUser;
        var byField = errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToList());
        var html = new StringBuilder();
        if (errors.Count > 0) html.Append(Summary(errors, provider));
        html.Append("<form method=\"post\" novalidate>\n");
        html.Append($"<input type=\"hidden\" name=\"{NonceField}\" value=\"{H(nonce)}\">\n");
        if (provider.Params.Count > 0)
        {
            html.Append("<fieldset>\n<legend>Settings</legend>\n");
            foreach (var f in provider.Params) html.Append(Field("params", f, values.GetValueOrDefault(f.Name), byField.GetValueOrDefault("params." + f.Name), endUser));
            html.Append("</fieldset>\n");
        }
        if (provider.Secrets.Count > 0)
        {
            html.Append("<fieldset aria-describedby=\"secrets-note\">\n<legend>Credentials</legend>\n");
            html.Append("<p class=\"hint\" id=\"secrets-note\">Stored encrypted. They are never shown again, not even on this page.</p>\n");
            foreach (var f in provider.Secrets) html.Append(Field("secrets", f, null, byField.GetValueOrDefault("secrets." + f.Name), endUser));
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

    private static string Field(string group, FieldDefinition f, string? value, List<string>? errors, bool endUser)
    {
        var id = Id(group, f.Name);
        var secret = group == "secrets";
        var described = new List<string>();
        var html = new StringBuilder($"<div class=\"field{(errors is null ? "" : " invalid")}\">\n");
        html.Append($"<label for=\"{H(id)}\">{H(Label(f.Name))}{(f.Required ? " <span class=\"req\">(required)</span>" : "")}</label>\n");

        var hint = new StringBuilder(H(f.Description));
        if (endUser) hint.Append(H(PlainFormat(f) is { } plain ? " " + plain : ""));
        else if (f.Pattern is not null) hint.Append($" Expected format (regular expression): <code>{H(f.Pattern)}</code>");
        if (f.Enum is { Count: > 0 } && !endUser) hint.Append($" One of: {H(string.Join(", ", f.Enum))}.");
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

    /// <summary>
    /// A validation error as an end user reads it: the field by its label, what to do in plain words; the message
    /// never quotes a pattern or a field key.
    /// </summary>
    public static FieldError ForEndUser(FieldError e, ProviderDefinition provider)
    {
        var dot = e.Field.IndexOf('.');
        var name = dot < 0 ? e.Field : e.Field[(dot + 1)..];
        var field = (e.Field.StartsWith("secrets.", StringComparison.Ordinal) ? provider.Secrets : provider.Params).FirstOrDefault(f => f.Name == name);
        if (field is null) return e with { Message = "This form could not be accepted. Reload the page and try again." };
        var label = Label(field.Name);
        var message = e.Code switch
        {
            "required" => $"Enter your {label}.",
            "pattern_mismatch" => $"{label} is not in the expected format." + (PlainFormat(field) is { } plain ? " " + plain : ""),
            "wrong_type" when field.Type == "integer" => $"{label} must be a whole number.",
            "wrong_type" when field.Type == "number" => $"{label} must be a number.",
            "wrong_type" when field.Type == "boolean" => $"Choose Yes or No for {label}.",
            "not_allowed" => $"Choose one of the options for {label}.",
            "invalid_url" => $"{label} must be a web address starting with https://.",
            "invalid_email" => $"{label} must be an email address, like name@example.com.",
            _ when field.Format == FieldFormats.Host => $"{label} must be a public server name, like example.com.",
            _ => $"{label} is not valid.",
        };
        return e with { Message = message };
    }

    /// <summary>
    /// What a catalog pattern asks for, in words, when that can be said simply: the literal text it starts with
    /// (e.g. "sk_" for Stripe keys). Otherwise nothing: a regular expression is no hint for an end user.
    /// </summary>
    public static string? PlainFormat(FieldDefinition f)
    {
        if (f.Pattern is not { } pattern || !pattern.StartsWith('^')) return null;
        var prefix = new StringBuilder();
        for (var i = 1; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':' or '/' or '@') prefix.Append(c);
            else if (c == '\\' && i + 1 < pattern.Length && pattern[i + 1] is '.' or '-' or '/') prefix.Append(pattern[++i]);
            else
            {
                // A quantifier after the last literal makes that literal optional or repeated: it is not part of the prefix.
                if (c is '?' or '*' or '{' && prefix.Length > 0) prefix.Length--;
                break;
            }
        }
        return prefix.Length >= 2 ? $"It starts with “{prefix}”." : null;
    }

    /// <summary>PEM keys span several lines, which a password input cannot hold.</summary>
    private static bool IsMultiline(FieldDefinition f) => f.Pattern?.Contains("-----BEGIN", StringComparison.Ordinal) == true;
}

/// <summary>Who fills a <see cref="CredentialForm"/>: the operator installing (technical hints) or an end user connecting.</summary>
public enum FormAudience { Operator, EndUser }
