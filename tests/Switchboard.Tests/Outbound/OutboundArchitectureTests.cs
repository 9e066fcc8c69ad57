using System.Text.RegularExpressions;

namespace Switchboard.Tests.Outbound;

/// <summary>The guarded client stays the only way out, and stays on the core floor.</summary>
public sealed partial class OutboundArchitectureTests
{
    private static readonly string Source = FindSource();

    private static IEnumerable<(string Path, string Text)> Files(string under) =>
        Directory.EnumerateFiles(Path.Combine(Source, under), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (Path.GetRelativePath(Source, f), File.ReadAllText(f)));

    [Fact]
    public void No_feature_builds_its_own_http_client_or_socket()
    {
        var offenders = Files(".")
            .Where(f => !f.Path.StartsWith(Path.Combine("Http", "Outbound"), StringComparison.Ordinal))
            .Where(f => OwnClient().IsMatch(f.Text))
            .Select(f => f.Path).ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_outbound_part_imports_no_feature_folder()
    {
        var imports = Files(Path.Combine("Http", "Outbound"))
            .SelectMany(f => Using().Matches(f.Text).Select(m => (f.Path, Namespace: m.Groups[1].Value)))
            .Where(u => u.Namespace.StartsWith("Switchboard", StringComparison.Ordinal)
                        && u.Namespace is not ("Switchboard.Http" or "Switchboard.Http.Outbound" or "Switchboard.Telemetry"))
            .ToList();
        Assert.Empty(imports);
    }

    [GeneratedRegex(@"new\s+(HttpClient|HttpClientHandler|SocketsHttpHandler|TcpClient|Socket)\s*\(|AddHttpClient\s*[<(]|IHttpClientFactory")]
    private static partial Regex OwnClient();

    [GeneratedRegex(@"^using\s+(?:static\s+)?([A-Za-z0-9_.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex Using();

    private static string FindSource()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Switchboard");
            if (File.Exists(Path.Combine(candidate, "Switchboard.csproj"))) return candidate;
        }
        throw new InvalidOperationException("src/Switchboard not found above " + AppContext.BaseDirectory);
    }
}
