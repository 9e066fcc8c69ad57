using Switchboard.Tests.Service;

namespace Switchboard.Tests.Architecture;

/// <summary>
/// The floors of ARCHITECTURE.md, read from the service's own sources: no import cycle between top-level folders,
/// core imports no feature, a feature imports core only (never another feature), and nothing imports the top floor
/// (Program, Hosting/, Cli/). A failure names each file and the name it uses.
/// </summary>
public sealed class FloorTests
{
    /// <summary>The core floor. Invocation/ and Events/ are core folders other branches add (tools, webhooks).</summary>
    public static readonly IReadOnlySet<string> Core = new HashSet<string>(StringComparer.Ordinal)
    {
        "Http", "Audit", "Store", "Sealing", "Catalog", "Jobs", "Tenancy", "Credentials", "Telemetry", "Invocation", "Events",
        FolderGraph.Root, // Ids.cs and SwitchboardOptions.cs
    };

    /// <summary>The top floor: wires everything; may use each other, nothing else may use them.</summary>
    public static readonly IReadOnlySet<string> Top = new HashSet<string>(StringComparer.Ordinal) { FolderGraph.ProgramFolder, "Hosting", "Cli" };

    private static readonly Lazy<FolderGraph> Service = new(() => FolderGraph.Read(Path.Combine(StartupTests.RepositoryRoot(), "src", "Switchboard")));

    [Fact]
    public void No_import_cycle_between_top_level_folders() =>
        Assert.True(CycleViolations(Service.Value) is [], Report("Import cycles between top-level folders:", CycleViolations(Service.Value)));

    [Fact]
    public void Core_imports_no_feature_and_a_feature_imports_core_only() =>
        Assert.True(FloorViolations(Service.Value) is [], Report("Imports across floors:", FloorViolations(Service.Value)));

    [Fact]
    public void Nothing_imports_the_top_floor() =>
        Assert.True(TopViolations(Service.Value) is [], Report("Imports of the top floor (Program, Hosting/, Cli/):", TopViolations(Service.Value)));

    [Fact]
    public void The_reader_sees_the_service_folders_and_their_imports()
    {
        var graph = Service.Value;
        Assert.Contains("Store", graph.Folders);
        Assert.Contains("Integrations", graph.Folders);
        Assert.Contains(graph.Folders, f => !Core.Contains(f) && !Top.Contains(f));
        // The reader sees the imports that exist: e.g. features use Store, and Hosting uses the features.
        Assert.Contains(graph.References, r => r.From == "Integrations" && r.To == "Store");
        Assert.Contains(graph.References, r => r.From == "Hosting" && r.To == "Integrations");
    }

    /// <summary>The reader on a tree made for it, so the guard above is known to see what it must.</summary>
    [Fact]
    public void The_guard_finds_usings_qualified_names_cycles_and_top_floor_imports_in_a_made_up_tree()
    {
        var root = Directory.CreateTempSubdirectory("floors").FullName;
        try
        {
            void Write(string path, string text)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
                File.WriteAllText(Path.Combine(root, path), text);
            }
            Write("Program.cs", "using Switchboard.Hosting;\npublic partial class Program;\n");
            Write("Hosting/Wiring.cs", "using Switchboard.Orders;\nnamespace Switchboard.Hosting;\nclass Wiring { }\n");
            // Core reaching a feature by a qualified name only, and a comment and a string that are not imports.
            Write("Store/Db.cs", "namespace Switchboard.Store;\n// Switchboard.Billing is mentioned here\nclass Db { string s = \"Switchboard.Billing\"; object o = new Switchboard.Orders.Order(); }\n");
            // Two features using each other: one by using, one by a name qualified from the root namespace.
            Write("Orders/Order.cs", "using Switchboard.Store;\nusing Switchboard.Billing;\nnamespace Switchboard.Orders;\npublic class Order { }\n");
            Write("Billing/Invoice.cs", "namespace Switchboard.Billing;\nclass Invoice { Orders.Order? o; static void M() => Hosting.Wiring.Run(); int x = typeof(Program).Name.Length; }\n");
            // A property named like a folder shadows it: not an import.
            Write("Billing/Shadow.cs", "namespace Switchboard.Billing;\nclass Shadow { public Thing Store { get; } void M() => Store.Run(); }\n");

            var graph = FolderGraph.Read(root);
            var refs = graph.References.Select(r => $"{r.File}:{r.Line} {r.From}->{r.To} {r.Name}").ToList();
            Assert.Contains("Store/Db.cs:3 Store->Orders Switchboard.Orders.Order", refs);
            Assert.DoesNotContain(graph.References, r => r.To == "Billing" && r.From == "Store");
            Assert.Contains("Billing/Invoice.cs:2 Billing->Orders Orders.Order", refs);
            Assert.DoesNotContain(graph.References, r => r.File == "Billing/Shadow.cs");

            var cycles = graph.Cycles();
            // Program -> Hosting -> Orders -> Billing -> Program, and Store <-> Orders: one group.
            Assert.Equal([["Billing", "Hosting", "Orders", "Program", "Store"]], cycles.Select(c => c.ToArray()).ToArray());
            var floors = FloorViolations(graph, core: new HashSet<string> { "Store" });
            Assert.Contains(floors, v => v.Contains("Store/Db.cs:3 uses Switchboard.Orders.Order", StringComparison.Ordinal));
            Assert.Contains(floors, v => v.Contains("Orders/Order.cs:2 uses Switchboard.Billing", StringComparison.Ordinal));
            var top = TopViolations(graph);
            Assert.Contains(top, v => v.Contains("Billing/Invoice.cs:2 uses Hosting.Wiring.Run", StringComparison.Ordinal));
            Assert.Contains(top, v => v.Contains("Billing/Invoice.cs:2 uses Program", StringComparison.Ordinal));
            Assert.DoesNotContain(top, v => v.Contains("Program.cs", StringComparison.Ordinal));
            Assert.Contains("Store/Db.cs", Report("x", CycleViolations(graph)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static List<string> CycleViolations(FolderGraph graph)
    {
        var edges = graph.Edges();
        var found = new List<string>();
        foreach (var cycle in graph.Cycles())
        {
            found.Add($"cycle of {cycle.Count}: {string.Join(", ", cycle)}");
            foreach (var from in cycle)
                foreach (var (to, uses) in edges.GetValueOrDefault(from) ?? new Dictionary<string, IReadOnlyList<FolderReference>>())
                    if (cycle.Contains(to))
                        found.Add($"  {from} -> {to}: " + string.Join("; ", uses.Take(5)) + (uses.Count > 5 ? $"; … {uses.Count - 5} more" : ""));
        }
        return found;
    }

    private static List<string> FloorViolations(FolderGraph graph, IReadOnlySet<string>? core = null)
    {
        core ??= Core;
        bool IsFeature(string folder) => !core.Contains(folder) && !Top.Contains(folder);
        return graph.References
            .Where(r => (core.Contains(r.From) && IsFeature(r.To)) || (IsFeature(r.From) && IsFeature(r.To)))
            .Select(r => $"{(core.Contains(r.From) ? "core" : "feature")} {r.From} -> feature {r.To}: {r}")
            .ToList();
    }

    private static List<string> TopViolations(FolderGraph graph) =>
        graph.References.Where(r => Top.Contains(r.To) && !Top.Contains(r.From)).Select(r => $"{r.From} -> {r.To}: {r}").ToList();

    private static string Report(string title, List<string> lines) => title + Environment.NewLine + string.Join(Environment.NewLine, lines);
}
