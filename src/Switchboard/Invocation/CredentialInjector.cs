using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Switchboard.Catalog;
using Switchboard.Credentials;

namespace Switchboard.Invocation;

/// <summary>
/// Puts an install's credential on an outbound request, as the provider's inject spec says: headers, query parameters,
/// HTTP Basic, or an AWS Signature V4 with the assumed role's credentials. Never from the caller: whatever the request
/// carried in those places is replaced. A template naming an optional field that is unset leaves its header or
/// parameter out. Call it last, once the request's URL and body are final (SigV4 signs both).
/// </summary>
public sealed partial class CredentialInjector(TimeProvider time)
{
    [GeneratedRegex(@"\{(?:(params|secrets)\.([a-z0-9_]+)|access_token)\}")]
    private static partial Regex Placeholder();

    /// <summary>False when the credential does not fit the spec (e.g. no token for a token template); nothing is sent then.</summary>
    public async Task<bool> ApplyAsync(HttpRequestMessage request, UsableCredential credential, CancellationToken ct)
    {
        var inject = credential.App.Provider.Inject;
        if (inject is null) return credential.App.Provider.AuthType == AuthTypes.None;
        // A token template with no token would send the request unauthenticated (or half-filled): refuse instead.
        if (credential.Token is null && inject.Templates().Any(t => t.Contains(InjectRules.AccessToken, StringComparison.Ordinal))) return false;
        foreach (var (name, template) in inject.Headers ?? [])
        {
            request.Headers.Remove(name);
            if (Fill(template, credential) is { } value) request.Headers.TryAddWithoutValidation(name, value);
        }
        if (inject.Query is { Count: > 0 } query)
        {
            var uri = request.RequestUri!;
            var kept = QueryHelpers.ParseQuery(uri.Query).Where(p => !query.ContainsKey(p.Key))
                .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)));
            var added = query.Select(p => new KeyValuePair<string, string?>(p.Key, Fill(p.Value, credential))).Where(p => p.Value is not null);
            var builder = new UriBuilder(uri) { Query = "" };
            request.RequestUri = new Uri(QueryHelpers.AddQueryString(builder.Uri.ToString(), kept.Concat(added)));
        }
        if (inject.BasicAuth is { } basic)
        {
            var (user, password) = (Fill(basic.Username, credential), Fill(basic.Password, credential));
            if (user is null || password is null) return false;
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        }
        if (inject.AwsSigV4 is { } sig)
        {
            if (credential.Token is null || Fill(sig.Region, credential) is not { } region) return false;
            AwsCredentialsBlob? keys;
            try { keys = JsonSerializer.Deserialize<AwsCredentialsBlob>(credential.Token.AccessToken); }
            catch (JsonException) { return false; }
            if (keys is null) return false;
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(ct);
            AwsSigV4.Sign(request, body, keys.AccessKeyId, keys.SecretAccessKey, keys.SessionToken, region, sig.Service, time.GetUtcNow().UtcDateTime);
        }
        return true;
    }

    /// <summary>The template with its fields filled, or null when one of them is unset.</summary>
    private static string? Fill(string template, UsableCredential c)
    {
        var missing = false;
        var filled = Placeholder().Replace(template, m =>
        {
            var value = m.Groups[1].Value switch
            {
                "params" => c.App.Param(m.Groups[2].Value),
                "secrets" => c.App.Secret(m.Groups[2].Value),
                _ => c.Token?.AccessToken,
            };
            if (string.IsNullOrEmpty(value)) missing = true;
            return value ?? "";
        });
        return missing ? null : filled;
    }
}
