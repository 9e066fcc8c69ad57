using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Switchboard.Http;
using Switchboard.Sealing;
using Switchboard.Store;

namespace Switchboard.Hosting;

/// <summary>
/// The last line of defence: turns any exception into a problem+json answer. Exception messages are
/// never sent to the client, and only the exception type is logged for expected failures.
/// </summary>
public sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (context.Response.HasStarted) return false;
        var problem = Classify(exception, context);
        if (problem is null) return true;
        await problem.ExecuteAsync(context);
        return true;
    }

    private Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Classify(Exception e, HttpContext context)
    {
        switch (e)
        {
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                context.Response.StatusCode = 499;
                return null;
            case BadHttpRequestException bad when bad.StatusCode == 413:
                return Problems.Make(413, "payload_too_large", "Request body too large");
            case BadHttpRequestException bad:
                return Problems.Make(bad.StatusCode, "bad_request", "Bad request", "The request could not be read.");
            case Http.Outbound.OutboundBlockedException blocked:
                logger.LogWarning("Outbound request to {Host} refused during {Path}", blocked.Host, Route(context));
                return Problems.OutboundBlocked(blocked.Host);
            case EncryptionUnavailableException:
                logger.LogError("Secret encryption unavailable during {Path}", Route(context));
                return Problems.EncryptionUnavailable();
            case DbUpdateConcurrencyException:
                return Problems.Conflict("concurrent_modification", "Concurrent modification", "The resource changed while this request ran; retry it.");
            case DbUpdateException { InnerException: DbException db } when DatabaseErrors.IsUniqueViolation(db):
            case DbException raw when DatabaseErrors.IsUniqueViolation(raw):
                // Two requests raced to create the same thing; the loser is told so.
                return Problems.Conflict("concurrent_modification", "Concurrent modification", "Another request changed this resource at the same time; retry it.");
        }
        if (IsDatabaseUnavailable(e))
        {
            logger.LogError("Database unavailable: {Type}", Innermost(e).GetType().Name);
            context.Response.Headers.RetryAfter = "2";
            return Problems.Make(503, "database_unavailable", "Database unavailable", "The database cannot be reached right now; retry shortly.");
        }
        if (e is CryptographicException)
        {
            logger.LogError("A stored ciphertext failed to decrypt on {Path}", Route(context));
            return Problems.Make(500, "decryption_failed", "Stored secret could not be decrypted");
        }
        logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, Route(context));
        return Problems.Make(500, "internal_error", "Internal server error", "An unexpected error occurred; it has been logged.");
    }

    // The route pattern, not the path: some paths carry capabilities (install links, OAuth start handles).
    private static string Route(HttpContext context) =>
        (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";

    private static bool IsDatabaseUnavailable(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is TimeoutException or GroupCommitException) return true;
            if (x is DbException db && !DatabaseErrors.IsConstraintViolation(db)) return true;
        }
        return false;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
