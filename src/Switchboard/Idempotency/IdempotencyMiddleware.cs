using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Http;
using Switchboard.Store;
using Switchboard.Tenancy;

namespace Switchboard.Idempotency;

/// <summary>
/// Idempotency-Key for POST, PATCH and DELETE under /api/v1, scoped per account and stored in the database so
/// that it holds across nodes. Runs after authentication and authorization (it needs the account; a 401/403 is
/// never stored). The first request with a key claims it by inserting the row; its response (any status below
/// 500) is stored and replayed to later requests with the same key and the same method, path and body.
/// A 5xx or an exception releases the key so the client can retry.
/// </summary>
public sealed class IdempotencyMiddleware(
    RequestDelegate next,
    IStoreWriter writer,
    IOptions<IdempotencyOptions> options,
    IOptions<SwitchboardOptions> switchboard)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";
    public const int MaxKeyLength = IdempotencyRecord.MaxKeyLength;

    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (!options.Value.Enabled || !IsWrite(request.Method) || !request.Path.StartsWithSegments("/api/v1")
            || !request.Headers.TryGetValue(Header, out var values) || http.RequestServices.GetRequiredService<Tenant>() is not { IsAuthenticated: true } tenant
            || http.GetEndpoint()?.Metadata.GetMetadata<PassesIdempotencyKeyThrough>() is not null)
        {
            await next(http);
            return;
        }

        var key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrWhiteSpace(key) || key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            await Problems.BadRequest("invalid_idempotency_key", "Invalid Idempotency-Key",
                $"Send one Idempotency-Key header of 1 to {MaxKeyLength} printable characters.").ExecuteAsync(http);
            return;
        }
        if (http.GetEndpoint()?.Metadata.GetMetadata<RefusesIdempotencyKey>() is not null)
        {
            await Problems.BadRequest("idempotency_key_not_supported", "Idempotency-Key not supported here",
                "This endpoint's response carries a secret that is never stored, so it cannot be replayed. Retry without Idempotency-Key.")
                .ExecuteAsync(http);
            return;
        }

        var body = await ReadBodyAsync(request, switchboard.Value.MaxRequestBodyBytes, http.RequestAborted);
        if (body is null)
        {
            await Problems.Make(413, "payload_too_large", "Request body too large",
                $"Request bodies are limited to {switchboard.Value.MaxRequestBodyBytes} bytes.").ExecuteAsync(http);
            return;
        }
        request.Body = new MemoryStream(body, writable: false);

        var accountId = tenant.AccountId;
        var target = request.Path.Value + request.QueryString.Value;
        // The actor is part of the request: another key of the account (perhaps restricted to another project) must
        // not be handed a response that key produced.
        var hash = RequestHash(request.Method, target, body, tenant.ActorId);
        var claim = await ClaimAsync(accountId, key, $"{request.Method} {target}", hash, http.RequestAborted);
        if (claim.Existing is { } existing)
        {
            await AnswerExistingAsync(http, existing, hash);
            return;
        }
        if (!claim.Claimed)
        {
            await InFlight().ExecuteAsync(http);
            return;
        }

        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        catch
        {
            await ReleaseAsync(accountId, key, claim.ClaimedAt);
            throw;
        }
        finally
        {
            http.Response.Body = original;
        }

        if (http.Response.StatusCode >= 500) await ReleaseAsync(accountId, key, claim.ClaimedAt);
        else await CompleteAsync(accountId, key, claim.ClaimedAt, http.Response, buffer.ToArray());
        buffer.Position = 0;
        await buffer.CopyToAsync(original, http.RequestAborted);
    }

    private static bool IsWrite(string method) => HttpMethods.IsPost(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    public static byte[] RequestHash(string method, string target, byte[] body, string actorId)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{actorId}\n{method}\n{target}\n"));
        sha.AppendData(body);
        return sha.GetHashAndReset();
    }

    /// <summary>ClaimedAt identifies this request's claim, so it never completes or releases a claim taken over since.</summary>
    private sealed record Claim(bool Claimed, IdempotencyRecord? Existing, DateTime ClaimedAt = default);

    private async Task<Claim> ClaimAsync(string accountId, string key, string methodPath, byte[] hash, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // Microseconds: what PostgreSQL keeps, so the claim's time reads back equal and can identify the claim.
            var ticks = DateTime.UtcNow.Ticks;
            var now = new DateTime(ticks - ticks % 10, DateTimeKind.Utc);
            var expires = now + options.Value.Retention;
            var shortPath = methodPath.Length > 300 ? methodPath[..300] : methodPath;
            Claim? claim;
            try
            {
                claim = await writer.WriteAsync(async (tx, token) =>
                {
                    var existing = await tx.Db.Set<IdempotencyRecord>().AsNoTracking()
                        .FirstOrDefaultAsync(r => r.AccountId == accountId && r.Key == key, token);
                    if (existing is not null)
                    {
                        var abandoned = existing.State == IdempotencyStates.InFlight && existing.CreatedAt <= now - options.Value.InFlightTimeout;
                        if (existing.ExpiresAt > now && !abandoned) return new Claim(false, existing);
                        // Expired, or claimed by a node that died: delete exactly that claim (compare-and-set on its creation time).
                        var createdAt = existing.CreatedAt;
                        await tx.Db.Set<IdempotencyRecord>()
                            .Where(r => r.AccountId == accountId && r.Key == key && r.CreatedAt == createdAt)
                            .ExecuteDeleteAsync(token);
                        return null;
                    }
                    // The row is the claim: whoever inserts it runs the request.
                    tx.Db.Add(new IdempotencyRecord
                    {
                        AccountId = accountId, Key = key, MethodPath = shortPath, RequestHash = hash, State = IdempotencyStates.InFlight,
                        CreatedAt = now, ExpiresAt = expires,
                    });
                    await tx.Db.SaveChangesAsync(token);
                    return new Claim(true, null, now);
                }, ct);
            }
            // PostgreSQL: another node inserted the same key between our read and our insert; losing the race is an answer.
            catch (DbUpdateException e) when (e.InnerException is System.Data.Common.DbException db && DatabaseErrors.IsUniqueViolation(db))
            {
                claim = null;
            }
            if (claim is not null) return claim;
        }
        return new Claim(false, null);
    }

    private static Task AnswerExistingAsync(HttpContext http, IdempotencyRecord existing, byte[] hash)
    {
        if (!CryptographicOperations.FixedTimeEquals(existing.RequestHash, hash))
            return Problems.Make(422, "idempotency_key_reused", "Idempotency-Key reused",
                "This Idempotency-Key was used with a different request (method, path or body). Use a new key for a new request.")
                .ExecuteAsync(http);
        if (existing.State != IdempotencyStates.Completed) return InFlight().ExecuteAsync(http);

        var response = http.Response;
        response.StatusCode = existing.ResponseStatus ?? StatusCodes.Status200OK;
        if (existing.ContentType is not null) response.ContentType = existing.ContentType;
        if (existing.Location is not null) response.Headers.Location = existing.Location;
        response.Headers[ReplayedHeader] = "true";
        var body = existing.ResponseBody ?? [];
        response.ContentLength = body.Length;
        return body.Length == 0 ? Task.CompletedTask : response.Body.WriteAsync(body, http.RequestAborted).AsTask();
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult InFlight() =>
        Problems.Conflict("idempotency_request_in_flight", "Request in progress",
            "A request with this Idempotency-Key is still being processed. Retry later to get its response.");

    private Task CompleteAsync(string accountId, string key, DateTime claimedAt, HttpResponse response, byte[] body)
    {
        var status = response.StatusCode;
        var contentType = response.ContentType;
        var location = response.Headers.Location.ToString() is { Length: > 0 and <= 2000 } l ? l : null;
        // The change has been committed by now: finish the record even if the client has gone away.
        return writer.WriteAsync((tx, token) => tx.Db.Set<IdempotencyRecord>()
            .Where(r => r.AccountId == accountId && r.Key == key && r.CreatedAt == claimedAt)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, IdempotencyStates.Completed)
                .SetProperty(r => r.ResponseStatus, status)
                .SetProperty(r => r.ResponseBody, body)
                .SetProperty(r => r.ContentType, contentType)
                .SetProperty(r => r.Location, location), token), CancellationToken.None);
    }

    private Task ReleaseAsync(string accountId, string key, DateTime claimedAt) =>
        writer.WriteAsync((tx, token) => tx.Db.Set<IdempotencyRecord>()
            .Where(r => r.AccountId == accountId && r.Key == key && r.CreatedAt == claimedAt && r.State == IdempotencyStates.InFlight)
            .ExecuteDeleteAsync(token), CancellationToken.None);

    /// <summary>The whole body, or null when it is larger than the service accepts.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long cap, CancellationToken ct)
    {
        if (request.ContentLength > cap) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > cap) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
