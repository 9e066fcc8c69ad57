using Switchboard.Mcp;

namespace Switchboard.Tests.Mcp;

public sealed class ToolNamesTests
{
    [Fact]
    public void Names_that_fit_are_connection__tool_and_others_are_shortened_deterministically_within_the_pattern()
    {
        Assert.Equal("everything__echo", ToolNames.Exposed("everything", "echo"));
        Assert.Equal("everything__get-sum", ToolNames.Exposed("everything", "get-sum"));

        var longTool = new string('t', 80);
        var shortened = ToolNames.Exposed("everything", longTool);
        Assert.Equal(64, shortened.Length);
        Assert.Matches(ToolNames.ModelSafe(), shortened);
        Assert.StartsWith("everything__ttt", shortened);
        Assert.Equal(shortened, ToolNames.Exposed("everything", longTool));
        Assert.NotEqual(shortened, ToolNames.Exposed("everything", new string('t', 81)));

        var dotted = ToolNames.Exposed("files", "fs.read file");
        Assert.Matches("^files__fs_read_file_[0-9a-f]{8}$", dotted);
        Assert.NotEqual(dotted, ToolNames.Exposed("files", "fs_read_file"));
        var longest = ToolNames.Exposed(new string('c', 32), new string('x', 40));
        Assert.True(longest.Length <= 64);
        Assert.Matches(ToolNames.ModelSafe(), longest);
    }
}
