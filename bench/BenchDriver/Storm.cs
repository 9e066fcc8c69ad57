using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace BenchDriver;

/// <summary>Watches the bench's oidc-provider (GET /bench/storm) until every storm grant is refreshed or time is up.</summary>
public static class Storm
{
    public static async Task<string> WaitAsync(Options o)
    {
        var issuer = o.Get("issuer");
        var expect = o.Int("expect");
        var until = DateTimeOffset.FromUnixTimeMilliseconds((long)(o.Double("until") * 1000));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        JsonNode report;
        var lastPrint = DateTime.MinValue;
        while (true)
        {
            report = JsonNode.Parse(await http.GetStringAsync(issuer + "/bench/storm"))!;
            var refreshed = report["refreshed"]!.GetValue<int>();
            if (DateTime.UtcNow - lastPrint > TimeSpan.FromSeconds(15))
            {
                Console.Error.WriteLine($"  storm: {refreshed}/{expect} refreshed, {report["refreshRequests"]} refresh requests, {report["invalidGrant"]} invalid_grant");
                lastPrint = DateTime.UtcNow;
            }
            if (refreshed >= expect || DateTimeOffset.UtcNow > until) break;
            await Task.Delay(1000);
        }
        var line = new StringBuilder("STORM");
        foreach (var (name, value) in report.AsObject())
        {
            if (value is JsonObject) continue;
            var text = value is null ? "null" : value.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? value.GetValue<double>().ToString("0.###", CultureInfo.InvariantCulture)
                : value.ToString();
            line.Append(' ').Append(name).Append('=').Append(text);
        }
        return line.ToString();
    }
}
