using System.Net;
using Switchboard.Hosting.Operations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Service;

/// <summary>One line per request with the route pattern, never a capability path, query value, header value, key or body.</summary>
public sealed class RequestLogTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    [Fact]
    public async Task Each_request_logs_method_route_status_duration_and_request_id_and_no_token_or_secret()
    {
        var account = await app.CreateAccountAsync("logging");
        var client = account.Client();
        const string secret = "sk_test_LOGLOGLOGLOGLOGLOG1234";
        const string clientSecret = "gh-client-secret-LOGCHECK-5678";
        const string queryValue = "QUERYVALUE-LOGCHECK";
        const string headerValue = "HEADERVALUE-LOGCHECK";

        await (await client.PostJson("/api/v1/integrations/stripe/install",
            new { @params = new { api_version = "2024-06-20" }, secrets = new { api_key = secret } })).ShouldBe(HttpStatusCode.OK);

        // An install link: its token is the capability, in the path.
        var link = await (await client.PostAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/install-url", null)).ShouldBe(HttpStatusCode.OK);
        var installUrl = new Uri(link["data"]!["install_url"]!.GetValue<string>());
        var token = installUrl.AbsolutePath["/connect/".Length..];
        var page = await app.CreateClient().GetAsync(installUrl.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        // An OAuth start handle, also in the path.
        var github = await (await client.PostJson("/api/v1/integrations/github/install",
            new { @params = new { client_id = "Iv1.logcheck" }, secrets = new { client_secret = clientSecret } })).ShouldBe(HttpStatusCode.OK);
        var auth = await (await client.PostJson($"/api/v1/integrations/{github["id"]!.GetValue<string>()}/users/alice/auth-url", new { }))
            .ShouldBe(HttpStatusCode.Created);
        var start = new Uri(auth["authorizeUrl"]!.GetValue<string>());
        var handle = start.AbsolutePath.Split('/').Last();
        var noRedirects = app.CreateDefaultClient();
        var redirect = await noRedirects.GetAsync(start.AbsolutePath);
        Assert.True((int)redirect.StatusCode is >= 300 and < 400, redirect.StatusCode.ToString());

        // A query value, a header value, and a failing request whose request id the problem body names.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/integrations?category={queryValue}");
        request.Headers.Add("X-Log-Check", headerValue);
        await client.SendAsync(request);
        var missing = await (await client.GetAsync("/api/v1/integrations/no_such_provider")).ShouldBe(HttpStatusCode.NotFound, "integration_not_found");
        var requestId = missing["request_id"]!.GetValue<string>();

        var requests = await RequestLines(l => l.Contains(requestId, StringComparison.Ordinal));
        Assert.Contains(requests, l => l.Contains("POST /api/v1/integrations/{id}/install 200 ", StringComparison.Ordinal));
        Assert.Contains(requests, l => l.Contains("GET /connect/{token} 200 ", StringComparison.Ordinal));
        Assert.Contains(requests, l => l.Contains("GET /api/v1/oauth/start/{handle} 302 ", StringComparison.Ordinal));
        Assert.Contains(requests, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"GET /api/v1/integrations/ [1-5]\d\d "));
        Assert.Contains(requests, l => l.Contains($"GET /api/v1/integrations/{{id}} 404 ", StringComparison.Ordinal) && l.EndsWith(" " + requestId, StringComparison.Ordinal));
        Assert.All(requests, l => Assert.Matches(@" \d+\.\d ms ", l));

        // Nothing secret anywhere in what the service logged.
        var all = app.Logs.All;
        foreach (var value in new[] { token, handle, account.ApiKey, secret, clientSecret, queryValue, headerValue })
            Assert.DoesNotContain(value, all);
    }

    private async Task<List<string>> RequestLines(Func<string, bool> until)
    {
        List<string> lines = [];
        for (var i = 0; i < 50; i++)
        {
            lines = app.Logs.Lines.Where(l => l.StartsWith($"Information {RequestLogging.Category}: ", StringComparison.Ordinal)).ToList();
            if (lines.Any(until)) break;
            await Task.Delay(100);
        }
        return lines.Select(l => l.TrimEnd()).ToList();
    }
}
