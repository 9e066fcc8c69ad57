using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Connect;

/// <summary>Helpers for connect-session tests: making sessions through the API, reading and posting the page.</summary>
public static partial class ConnectSessions
{
    public const string StripeKey = "sk_test_ConnectTypedSecret0123456789";
    public const string OperatorStripeKey = "sk_test_OperatorsOwnKey0123456789";

    public static async Task InstallStripeAsync(TestAccount account) =>
        await (await account.Client().PostJson("/api/v1/integrations/stripe/install", new { secrets = new { api_key = OperatorStripeKey } }))
            .ShouldBe(HttpStatusCode.OK);

    public static async Task<(string Token, string Url, DateTime ExpiresAt)> CreateAsync(TestAccount account, object body)
    {
        var created = await (await account.Client().PostJson("/api/v1/connect/sessions", body)).ShouldBe(HttpStatusCode.Created);
        return (created["token"]!.GetValue<string>(), created["connect_url"]!.GetValue<string>(), created["expires_at"]!.GetValue<DateTime>());
    }

    public static string Nonce(string html) => NonceInput().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("no nonce in page: " + html);

    public static Task<HttpResponseMessage> SubmitAsync(HttpClient client, string path, string nonce, params (string Name, string Value)[] fields) =>
        client.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).Append(new("_nonce", nonce))));

    /// <summary>The message the result page would post (its data-message attribute).</summary>
    public static string? Message(string html) => MessageAttribute().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    [GeneratedRegex("<input type=\"hidden\" name=\"_nonce\" value=\"([^\"]+)\">")]
    private static partial Regex NonceInput();

    [GeneratedRegex("data-message=\"([^\"]+)\"")]
    private static partial Regex MessageAttribute();
}
