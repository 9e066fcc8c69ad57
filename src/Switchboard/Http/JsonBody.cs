using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Switchboard.Http;

/// <summary>
/// Reads a request body as a JSON document ourselves, so every failure (too large, not JSON, malformed)
/// becomes a precise problem+json answer instead of the framework's empty 400.
/// </summary>
public static class JsonBody
{
    public sealed record Result(JsonElement? Root, ProblemHttpResult? Problem);

    // Duplicate property names are refused: JsonObject (settings, params) cannot hold them and would throw later.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    public static async Task<Result> ReadAsync(HttpRequest request, bool allowEmpty, CancellationToken ct)
    {
        var cap = request.HttpContext.RequestServices.GetRequiredService<IOptions<SwitchboardOptions>>().Value.MaxRequestBodyBytes;
        if (request.ContentLength > cap) return TooLarge(cap);

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > cap) return TooLarge(cap);
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0 || IsWhitespace(buffer))
            return allowEmpty ? new(null, null)
                : new(null, Problems.BadRequest("missing_body", "Request body is required", "Send a JSON object."));

        var contentType = request.ContentType;
        if (contentType is not null && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            return new(null, Problems.Make(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json."));

        var json = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        try
        {
            using var doc = JsonDocument.Parse(json, DocumentOptions);
            if (NotUnicodeAt(json.Span) is { } offset)
            {
                var before = json.Span[..offset];
                var lineStart = before.LastIndexOf((byte)'\n') + 1;
                return new(null, Malformed(before.Count((byte)'\n'), offset - lineStart,
                    "not valid JSON text (a string is not UTF-8, or escapes a lone surrogate)"));
            }
            return new(doc.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return new(null, Malformed(e.LineNumber ?? 0, e.BytePositionInLine ?? 0, "not valid JSON"));
        }
    }

    private static ProblemHttpResult Malformed(long line, long bytePosition, string what) =>
        Problems.Make(400, "malformed_json", "Malformed JSON", $"The body is {what} (at line {line + 1}, byte {bytePosition + 1}).",
            new Dictionary<string, object?> { ["line"] = line + 1, ["byte"] = bytePosition + 1 });

    /// <summary>
    /// Where the (syntactically valid) JSON is not text: bytes that are not UTF-8, or an escape of a lone surrogate
    /// ("\ud800"). The parser accepts both and reading such a string later throws, deep in a handler (a 500).
    /// </summary>
    private static int? NotUnicodeAt(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            for (var i = 0; i < json.Length;)
            {
                if (System.Text.Rune.DecodeFromUtf8(json[i..], out _, out var length) != System.Buffers.OperationStatus.Done) return i;
                i += length;
            }
        }
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try { reader.GetString(); }
            catch (InvalidOperationException) { return (int)reader.TokenStartIndex; }
        }
        return null;
    }

    private static Result TooLarge(long cap) => new(null,
        Problems.Make(413, "payload_too_large", "Request body too large", $"Request bodies are limited to {cap} bytes."));

    private static bool IsWhitespace(MemoryStream buffer)
    {
        foreach (var b in buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        return true;
    }
}
