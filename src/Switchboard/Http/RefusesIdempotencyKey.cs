namespace Switchboard.Http;

/// <summary>
/// Endpoint metadata: the route answers 400 to an Idempotency-Key instead of storing its response,
/// because that response carries a secret (e.g. a new API key's value) that must never be stored.
/// </summary>
public sealed class RefusesIdempotencyKey;

public static class IdempotencyKeyEndpointExtensions
{
    /// <summary>For endpoints whose response carries a secret: an Idempotency-Key is answered with 400.</summary>
    public static TBuilder RefusesIdempotencyKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RefusesIdempotencyKey());
}

/// <summary>
/// Endpoint metadata: the route forwards Idempotency-Key to someone else (the proxy passes it to the provider, which
/// keeps its own idempotency), so Switchboard neither stores nor replays the response.
/// </summary>
public sealed class PassesIdempotencyKeyThrough;

public static class PassesIdempotencyKeyThroughExtensions
{
    public static TBuilder PassesIdempotencyKeyThrough<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PassesIdempotencyKeyThrough());
}
