using System.Text.RegularExpressions;

namespace Switchboard.Tests.Service;

/// <summary>The instruments live on the core floor: Telemetry/ imports nothing of the app, so any feature may count.</summary>
public sealed partial class TelemetryArchitectureTests
{
    [Fact]
    public void The_telemetry_folder_imports_nothing_of_the_app()
    {
        var root = Path.Combine(StartupTests.RepositoryRoot(), "src", "Switchboard", "Telemetry");
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        var imports = files.SelectMany(f => Using().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Where(ns => ns.StartsWith("Switchboard", StringComparison.Ordinal) && ns != "Switchboard.Telemetry")
            .ToList();
        Assert.Empty(imports);
    }

    [GeneratedRegex(@"^using\s+(?:static\s+)?([A-Za-z0-9_.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex Using();
}
