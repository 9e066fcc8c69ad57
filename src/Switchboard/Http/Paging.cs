using System.Buffers.Text;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Switchboard.Http;

/// <summary>The limit and cursor query parameters every list endpoint takes.</summary>
public static class Paging
{
    public const int DefaultLimit = 50, MaxLimit = 200;

    /// <summary>Page size and the decoded cursor, or a 400 problem naming what is wrong.</summary>
    public static (int Size, string? After, ProblemHttpResult? Problem) Parse(string? limit, string? cursor, string cursorField = "next_cursor")
    {
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, out size) || size is < 1 or > MaxLimit))
            return (0, null, Problems.BadRequest("invalid_limit", "Invalid limit", $"limit must be an integer from 1 to {MaxLimit}."));
        string? after = null;
        if (cursor is not null && (after = Cursor.Decode(cursor)) is null)
            return (0, null, Problems.BadRequest("invalid_cursor", "Invalid cursor", $"Use the {cursorField} of a previous page."));
        return (size, after, null);
    }
}

/// <summary>Opaque page cursors: the sort key of the last item of a page, base64url.</summary>
public static class Cursor
{
    public static string Encode(string after) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(after));

    public static string? Decode(string cursor)
    {
        if (cursor.Length is 0 or > 200) return null;
        try { return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)); }
        catch (FormatException) { return null; }
    }
}
