using System.Net;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Invocation;

/// <summary>Switchboard with short invocation limits (3 s timeout, 1 MB responses, fast retries) for the tools and proxy tests.</summary>
public class ToolsApp : SwitchboardApp
{
    public const int MaxResponseBytes = 1024 * 1024, MaxRequestBytes = 64 * 1024;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Switchboard:OAuth:WorkerEnabled"] = "false",
        ["Switchboard:OAuth:RefreshMargin"] = "00:00:04",
        // 3 s: the slow stand-ins wait 4 s; a retried read must fit in it even when a busy 2-core CI stalls a second.
        ["Switchboard:Invocation:Timeout"] = "00:00:03",
        ["Switchboard:Invocation:MaxResponseBytes"] = MaxResponseBytes.ToString(),
        ["Switchboard:Invocation:MaxRequestBytes"] = MaxRequestBytes.ToString(),
        ["Switchboard:Invocation:RetryDelay"] = "00:00:00.01",
        ["Switchboard:Invocation:MaxRetryDelay"] = "00:00:01",
    };

    public Task<List<string>> AuditAsync(string accountId, string action) => WithDbAsync(db => db.AuditEvents
        .Where(e => e.AccountId == accountId && e.Action == action).OrderBy(e => e.CreatedAt).Select(e => e.DataJson).ToListAsync());
}

public static class Installs
{
    public const string StripeKey = "sk_test_StandInKey0123456789";
    public const string PostmarkToken = "0f8fad5b-d9cb-469f-a165-70867728950e";
    public const string TwilioSid = "AC0123456789abcdef0123456789abcdef", TwilioToken = "fedcba9876543210fedcba9876543210";

    public static async Task InstallAsync(TestAccount account, string provider, object secrets, string baseUrl, object? parameters = null)
    {
        var response = await account.Client().PostJson($"/api/v1/integrations/{provider}/install",
            new { @params = parameters ?? new { }, secrets, base_url_override = baseUrl });
        await response.ShouldBe(HttpStatusCode.OK);
    }

    public static Task StripeAsync(TestAccount account, ProviderStandIn standIn) => InstallAsync(account, "stripe", new { api_key = StripeKey }, standIn.Url);

    public static async Task PatchAsync(TestAccount account, string provider, object patch) =>
        await (await account.Client().PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/{provider}/lifecycle", Api.Json(patch)))
            .ShouldBe(HttpStatusCode.OK);

    public static Task<HttpResponseMessage> InvokeAsync(TestAccount account, string tool, object input, string? userId = null) =>
        account.Client().PostJson($"/api/v1/native-tools/{tool}/invoke", userId is null ? new { input } : new { input, user_id = userId });
}
