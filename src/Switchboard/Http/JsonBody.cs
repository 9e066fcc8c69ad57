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

        try
        {
            using var doc = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), DocumentOptions);
            return new(doc.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            var where = $"line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}";
            return new(null, Problems.Make(400, "malformed_json", "Malformed JSON", $"The body is not valid JSON (at {where}).",
                new Dictionary<string, object?> { ["line"] = (e.LineNumber ?? 0) + 1, ["byte"] = (e.BytePositionInLine ?? 0) + 1 }));
        }
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
