namespace Switchboard.Http;

/// <summary>A 200 response whose JSON body was serialized (and perhaps cached) beforehand.</summary>
public sealed class JsonBytes(byte[] body) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public int? StatusCode => StatusCodes.Status200OK;
    public string ContentType => "application/json; charset=utf-8";

    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = ContentType;
        http.Response.ContentLength = body.Length;
        return http.Response.BodyWriter.WriteAsync(body, http.RequestAborted).AsTask();
    }
}
