namespace Switchboard.Http;

/// <summary>Gives framework-made problems (404 route, 405, …) the same stable type/code as ours.</summary>
public static class ProblemDefaults
{
    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!problem.Extensions.ContainsKey("code"))
        {
            var code = problem.Status switch
            {
                400 => "bad_request",
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not_found",
                405 => "method_not_allowed",
                406 => "not_acceptable",
                409 => "conflict",
                413 => "payload_too_large",
                415 => "unsupported_media_type",
                429 => "rate_limited",
                503 => "service_unavailable",
                _ => problem.Status >= 500 ? "internal_error" : "error",
            };
            problem.Extensions["code"] = code;
            problem.Type = Problems.TypeBase + code;
        }
        problem.Extensions["request_id"] = context.HttpContext.TraceIdentifier;
    }
}
