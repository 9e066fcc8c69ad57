using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Tests.Architecture;

/// <summary>One use of another top-level folder: the file (relative to the source root), its line, and the name used.</summary>
public sealed record FolderReference(string File, int Line, string From, string To, string Name)
{
    public override string ToString() => $"{File}:{Line} uses {Name}";
}

/// <summary>
/// The import graph between the top-level folders of a C# source tree, read from the sources: <c>using</c> directives
/// (plain, static, alias, global), fully qualified names (<c>Switchboard.Store.X</c>) and names qualified from the root
/// namespace (<c>Store.X</c> inside <c>namespace Switchboard.Integrations</c>, which C# resolves to Switchboard.Store).
/// Comments and string literals are not code and are skipped; doc-comment crefs count. Files directly in the root belong
/// to the folder "(root)", except Program.cs, which is "Program".
/// </summary>
public sealed partial class FolderGraph
{
    public const string Root = "(root)", ProgramFolder = "Program";

    public IReadOnlySet<string> Folders { get; }
    public IReadOnlyList<FolderReference> References { get; }

    private FolderGraph(IReadOnlySet<string> folders, IReadOnlyList<FolderReference> references) =>
        (Folders, References) = (folders, references);

    public static FolderGraph Read(string sourceRoot, string rootNamespace = "Switchboard")
    {
        var folders = Directory.GetDirectories(sourceRoot).Select(d => Path.GetFileName(d)!)
            .Where(d => d is not ("bin" or "obj" or "Properties")).ToHashSet(StringComparer.Ordinal);
        var references = new List<FolderReference>();
        foreach (var path in Directory.EnumerateFiles(sourceRoot, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(sourceRoot, path).Replace(Path.DirectorySeparatorChar, '/');
            var segments = relative.Split('/');
            if (segments[0] is "bin" or "obj") continue;
            var from = segments.Length == 1 ? (segments[0] == "Program.cs" ? ProgramFolder : Root) : segments[0];
            var code = CodeOnly(File.ReadAllText(path));
            foreach (var (line, name, to) in Uses(code, rootNamespace, folders))
                if (to != from) references.Add(new FolderReference(relative, line, from, to, name));
            if (from != ProgramFolder)
                foreach (Match m in ProgramName().Matches(code))
                    references.Add(new FolderReference(relative, LineOf(code, m.Index), from, ProgramFolder, "Program"));
        }
        return new FolderGraph(folders, references);
    }

    /// <summary>Edges from folder to folder, each with the references that make it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<FolderReference>>> Edges() =>
        References.GroupBy(r => r.From).ToDictionary(g => g.Key,
            g => (IReadOnlyDictionary<string, IReadOnlyList<FolderReference>>)g.GroupBy(r => r.To)
                .ToDictionary(t => t.Key, t => (IReadOnlyList<FolderReference>)t.ToList()));

    /// <summary>The strongly connected groups of more than one folder (Tarjan): each is at least one import cycle.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var edges = Edges();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<IReadOnlyList<string>>();
        var counter = 0;

        void Visit(string v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in edges.GetValueOrDefault(v)?.Keys ?? Enumerable.Empty<string>())
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var group = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                group.Add(x);
            } while (x != v);
            if (group.Count > 1) result.Add(group.Order(StringComparer.Ordinal).ToList());
        }

        foreach (var v in edges.Keys.Concat(edges.Values.SelectMany(e => e.Keys)).Distinct().Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    private static IEnumerable<(int Line, string Name, string Folder)> Uses(string code, string rootNamespace, IReadOnlySet<string> folders)
    {
        foreach (Match m in Qualified().Matches(code))
        {
            if (m.Groups["root"].Value != rootNamespace) continue;
            var folder = m.Groups["folder"].Value;
            if (folders.Contains(folder)) yield return (LineOf(code, m.Index), m.Value, folder);
        }
        // Inside namespace Switchboard.X, "Store.Y" means Switchboard.Store.Y (names resolve through the enclosing namespaces).
        foreach (Match m in RootRelative().Matches(code))
        {
            var folder = m.Groups["folder"].Value;
            if (folders.Contains(folder) && !IsDeclaredLocally(code, folder)) yield return (LineOf(code, m.Index), m.Value, folder);
        }
    }

    /// <summary>A member or local of that name (e.g. a property "Store") shadows the namespace: "Store.X" is then not the folder.</summary>
    private static bool IsDeclaredLocally(string code, string name) =>
        Regex.IsMatch(code, $@"(?:\b(?!(?:return|new|using|await|throw|typeof|nameof|is|as|in|case|yield|else)\b)[A-Za-z_][\w<>,?\[\]]*\s+{name}\s*(?:[{{;=,)]|=>))|(?:\b(?:class|record|struct|interface|enum)\s+{name}\b)");

    private static int LineOf(string text, int index)
    {
        var line = 1;
        for (var i = 0; i < index; i++)
            if (text[i] == '\n') line++;
        return line;
    }

    /// <summary>
    /// The text with comments and string/char literals blanked (newlines kept, so line numbers stay), and namespace
    /// declarations removed; the contents of doc-comment cref attributes are kept, since they name types.
    /// </summary>
    public static string CodeOnly(string source)
    {
        var s = new StringBuilder(source.Length);
        var i = 0;
        void Blank(int until)
        {
            for (; i < until && i < source.Length; i++) s.Append(source[i] == '\n' ? '\n' : ' ');
        }
        while (i < source.Length)
        {
            var c = source[i];
            var next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                var end = source.IndexOf('\n', i);
                if (end < 0) end = source.Length;
                var comment = source[i..end];
                Blank(end);
                if (comment.StartsWith("///", StringComparison.Ordinal))
                    foreach (Match cref in Cref().Matches(comment)) s.Append(' ').Append(cref.Groups[1].Value);
            }
            else if (c == '/' && next == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                Blank(end < 0 ? source.Length : end + 2);
            }
            else if (c == '"' || ((c == '@' || c == '$') && (next == '"' || next is '@' or '$')))
            {
                var start = i;
                while (i < source.Length && source[i] is '@' or '$') i++;
                var verbatim = source[start..i].Contains('@');
                var quotes = 0;
                while (i + quotes < source.Length && source[i + quotes] == '"') quotes++;
                int end;
                if (quotes >= 3)
                {
                    var close = new string('"', quotes);
                    var at = source.IndexOf(close, i + quotes, StringComparison.Ordinal);
                    end = at < 0 ? source.Length : at + quotes;
                }
                else
                {
                    end = i + 1;
                    while (end < source.Length)
                    {
                        if (!verbatim && source[end] == '\\') { end += 2; continue; }
                        if (source[end] == '"')
                        {
                            if (verbatim && end + 1 < source.Length && source[end + 1] == '"') { end += 2; continue; }
                            end++;
                            break;
                        }
                        if (!verbatim && source[end] == '\n') break;
                        end++;
                    }
                }
                i = start;
                Blank(end);
            }
            else if (c == '\'' && i + 2 < source.Length)
            {
                // A char literal: 'x', or an escape such as '\'' or '\u0041'.
                var end = next == '\\' ? source.IndexOf('\'', i + 3) + 1 : i + 3;
                Blank(end <= i ? source.Length : end);
            }
            else
            {
                s.Append(c);
                i++;
            }
        }
        return NamespaceDeclaration().Replace(s.ToString(), m => new string(' ', m.Length));
    }

    [GeneratedRegex(@"(?<![\w.])(?<root>[A-Z]\w*)\.(?<folder>[A-Z]\w*)(?:\.[A-Za-z_]\w*)*")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"(?<![\w.@])(?<folder>[A-Z]\w*)\.[A-Z]\w*(?:\.[A-Za-z_]\w*)*")]
    private static partial Regex RootRelative();

    [GeneratedRegex(@"(?<![\w.])Program\b")]
    private static partial Regex ProgramName();

    [GeneratedRegex(@"cref=""([^""]+)""")]
    private static partial Regex Cref();

    [GeneratedRegex(@"^\s*namespace\s+[\w.]+\s*[;{]?", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
