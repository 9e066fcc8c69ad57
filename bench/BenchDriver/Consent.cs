using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace BenchDriver;

/// <summary>
/// End users connecting through the real OAuth flow, by plain HTTP: Switchboard's auth URL and start link, the provider's
/// login and consent forms (oidc-provider's dev interactions), and the redirect back to Switchboard's callback, which
/// exchanges the code at the provider and stores the tokens. As the tests drive it (tests/…/OAuth/OAuthDriver.cs).
/// </summary>
public static partial class Consent
{
    public static async Task<string> ConnectAsync(Options o)
    {
        var bases = o.Get("bases").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var key = o.Get("key");
        var cid = o.Get("cid");
        var prefix = o.Get("prefix");
        var from = o.Int("from", 0);
        var users = o.Int("users");
        var parallel = o.Int("parallel", 16);
        // One pool of connections for every flow; each flow keeps its own cookies (a browser of its own).
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxConnectionsPerServer = parallel * 2,
        }) { Timeout = TimeSpan.FromSeconds(60) };
        var ok = 0;
        var failed = 0;
        string? firstError = null;
        var started = DateTime.UtcNow;
        await Setup.ParallelAsync(Enumerable.Range(from, users), parallel, async i =>
        {
            var node = bases[i % bases.Length];
            try
            {
                await ConnectOneAsync(http, node, key, cid, $"{prefix}{i}");
                Interlocked.Increment(ref ok);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, e.Message, null);
            }
        });
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        if (firstError is not null) Console.Error.WriteLine($"connect: first failure: {firstError}");
        return string.Create(CultureInfo.InvariantCulture, $"CONNECT ok={ok} failed={failed} per_s={ok / seconds:0.0}");
    }

    private static async Task ConnectOneAsync(HttpClient http, string node, string key, string cid, string userId)
    {
        var auth = await Setup.SendAsync(http, HttpMethod.Post, $"{node}/api/v1/integrations/{cid}/users/{Uri.EscapeDataString(userId)}/auth-url",
            key, new { }, HttpStatusCode.Created);
        var cookies = new CookieContainer();
        var url = auth["authorizeUrl"]!.GetValue<string>();
        var callback = node + "/api/v1/oauth/callback";
        for (var step = 0; step < 20; step++)
        {
            var isCallback = url.StartsWith(callback, StringComparison.Ordinal);
            using var response = await GetAsync(http, cookies, url);
            if (isCallback)
            {
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"callback answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                return;
            }
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                url = new Uri(new Uri(url), response.Headers.Location!).ToString();
                continue;
            }
            var html = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}");
            var form = FormAction().Match(html);
            if (!form.Success) throw new InvalidOperationException("no form on " + url);
            var fields = HiddenInput().Matches(html).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
            if (html.Contains("name=\"login\"", StringComparison.Ordinal)) { fields["login"] = userId; fields["password"] = "any"; }
            var action = new Uri(new Uri(url), WebUtility.HtmlDecode(form.Groups[1].Value));
            using var post = new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) };
            AddCookies(post, cookies);
            using var posted = await http.SendAsync(post);
            KeepCookies(posted, cookies);
            if ((int)posted.StatusCode is < 300 or >= 400) throw new InvalidOperationException($"form post answered {(int)posted.StatusCode}");
            url = new Uri(action, posted.Headers.Location!).ToString();
        }
        throw new InvalidOperationException("the provider never redirected back");
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, CookieContainer cookies, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        AddCookies(request, cookies);
        var response = await http.SendAsync(request);
        KeepCookies(response, cookies);
        return response;
    }

    private static void AddCookies(HttpRequestMessage request, CookieContainer cookies)
    {
        var header = cookies.GetCookieHeader(request.RequestUri!);
        if (header.Length > 0) request.Headers.Add("Cookie", header);
    }

    private static void KeepCookies(HttpResponseMessage response, CookieContainer cookies)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values)) return;
        foreach (var value in values) cookies.SetCookies(response.RequestMessage!.RequestUri!, value);
    }

    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"[^>]*method=\"post\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();
}
