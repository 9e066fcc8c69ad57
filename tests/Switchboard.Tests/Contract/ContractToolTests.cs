using System.Text.Json.Nodes;

namespace Switchboard.Tests.Contract;

/// <summary>
/// The served document judged by third-party tools nobody here wrote: redocly's linter, Prism's validating proxy over
/// the README walkthrough, and a TypeScript client from openapi-typescript + openapi-fetch under tsc --strict.
/// </summary>
public sealed class ContractToolTests(ContractServer server) : IClassFixture<ContractServer>
{
    /// <summary>
    /// The warnings redocly's recommended rules give that are the API's true shape, by rule: the catalog entry route and
    /// the lifecycle/install-url routes differ only where one has a literal segment (catalog) — routing picks the literal
    /// —, the OAuth start leg only redirects (302, no 2xx), and liveness answers nothing 4xx. Any other warning fails.
    /// </summary>
    private static readonly string[] AcceptedWarnings =
    [
        "no-ambiguous-paths /api/v1/projects/{projectId}/integrations/catalog/{provider}",
        "no-ambiguous-paths /api/v1/projects/{projectId}/integrations/{provider}/lifecycle",
        "operation-2xx-response /api/v1/oauth/start/{handle}",
        "operation-4xx-response /healthz",
    ];

    [Fact]
    public async Task Redocly_lint_finds_no_errors_and_only_the_accepted_warnings()
    {
        var run = await ContractTools.RunAsync(ContractTools.Bin("redocly"), ["lint", server.DocumentPath, "--format=json"], ContractTools.ToolsDir);
        var start = run.Stdout.IndexOf('{');
        Assert.True(start >= 0, run.Output);
        var report = JsonNode.Parse(run.Stdout[start..(run.Stdout.LastIndexOf('}') + 1)])!;
        var problems = report["problems"]!.AsArray().Select(p =>
            $"{p!["severity"]} {p["ruleId"]} {Decode(p["location"]![0]!["pointer"]!.GetValue<string>())}: {p["message"]}").ToList();
        Assert.True(report["totals"]!["errors"]!.GetValue<int>() == 0, "redocly errors:\n" + string.Join("\n", problems.Where(p => p.StartsWith("error"))));
        var warnings = problems.Where(p => p.StartsWith("warn", StringComparison.Ordinal)).ToList();
        var unexpected = warnings.Where(w => !AcceptedWarnings.Any(a => w.StartsWith("warn " + a, StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, "new redocly warnings:\n" + string.Join("\n", unexpected));
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task The_README_walkthrough_through_Prism_with_errors_has_no_violations()
    {
        var prism = await server.PrismAsync();
        var account = await server.App.CreateAccountAsync("walkthrough");
        var run = await ContractTools.RunAsync("node", [Path.Combine(ContractTools.ToolsDir, "walkthrough.mjs"), ContractTools.Readme, prism],
            ContractTools.ToolsDir, new Dictionary<string, string> { ["SWITCHBOARD_KEY"] = account.ApiKey, ["SWITCHBOARD_PROJECT"] = account.ProjectId });
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(" 0 violations, 0 failures", run.Output);
        Assert.DoesNotContain("NOT RUN", run.Output);
    }

    [Fact]
    public async Task Prism_refuses_what_breaks_the_contract()
    {
        // The check above can fail: a request the document does not allow is answered by Prism, not the service.
        var prism = await server.PrismAsync();
        var account = await server.App.CreateAccountAsync("prism-refusal");
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-API-Key", account.ApiKey);
        var response = await http.GetAsync(prism + "/api/v1/integrations?limit=ten");
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Contains("stoplight.io/prism/errors", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_TypeScript_client_compiles_under_tsc_strict_and_runs_the_core_flow()
    {
        var ts = Path.Combine(ContractTools.ToolsDir, "ts");
        var generated = await ContractTools.RunAsync(ContractTools.Bin("openapi-typescript"),
            [server.DocumentPath, "-o", Path.Combine(ts, "generated", "schema.d.ts")], ContractTools.ToolsDir);
        Assert.True(generated.ExitCode == 0, generated.Output);
        var compiled = await ContractTools.RunAsync(ContractTools.Bin("tsc"), ["-p", ts], ts);
        Assert.True(compiled.ExitCode == 0, "tsc --strict:\n" + compiled.Output);

        var account = await server.App.CreateAccountAsync("typescript");
        var flow = await ContractTools.RunAsync("node", [Path.Combine(ts, "out", "flow.js")], ts,
            new Dictionary<string, string> { ["SWITCHBOARD_URL"] = server.App.BaseUrl, ["SWITCHBOARD_KEY"] = account.ApiKey });
        Assert.True(flow.ExitCode == 0, flow.Output);
        Assert.Contains("FLOW OK", flow.Output);
    }

    private static string Decode(string pointer) =>
        Uri.UnescapeDataString(pointer.Replace("#/paths/", "", StringComparison.Ordinal)).Replace("~1", "/", StringComparison.Ordinal).Split("/get")[0]
            .Split("/post")[0].Split("/patch")[0].Split("/delete")[0].Split("/put")[0];
}
