using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Mcp;

/// <summary>
/// How a remote tool is named in Switchboard's tools/list: <c>{connection}__{tool}</c>, which fits MCP's rules and the
/// common model vendors' (<c>^[a-zA-Z0-9_-]{1,64}$</c>). A tool name with other characters, or one that would make the
/// whole name longer than 64, is shortened deterministically: characters outside [a-zA-Z0-9_-] become '_', the result is
/// cut so that <c>{connection}__{cut}_{hash}</c> is at most 64 characters, where hash is the first 8 hex digits of the
/// SHA-256 of the original tool name. The same remote name always maps to the same exposed name; calls are resolved by
/// recomputing the mapping over the connection's stored tools.
/// </summary>
public static partial class ToolNames
{
    public const int MaxLength = 64;
    public const string Separator = "__";

    /// <summary>Connection names: snake_case, starting with a letter, no "__" (the separator), at most 32 characters.</summary>
    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    public static partial Regex ConnectionName();

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    public static partial Regex ModelSafe();

    [GeneratedRegex("[^a-zA-Z0-9_-]")]
    private static partial Regex Unsafe();

    public static string Exposed(string connection, string tool)
    {
        var plain = connection + Separator + tool;
        if (plain.Length <= MaxLength && ModelSafe().IsMatch(plain)) return plain;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tool)).AsSpan(0, 4));
        var room = MaxLength - connection.Length - Separator.Length - 1 - hash.Length;
        var safe = Unsafe().Replace(tool, "_");
        return connection + Separator + safe[..Math.Min(safe.Length, Math.Max(0, room))] + "_" + hash;
    }
}
