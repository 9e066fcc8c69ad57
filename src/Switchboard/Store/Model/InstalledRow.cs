namespace Switchboard.Store;

/// <summary>What a view needs of an integration row: no ciphertext is read for it.</summary>
public sealed record InstalledRow(Guid Id, string Provider, string Status, DateTime? InstalledAt, string ParamsJson,
    DateTime CreatedAt, DateTime UpdatedAt, List<SecretView> Secrets, string? AllowedRedirectOriginsJson = null);

/// <summary>A stored secret, named and fingerprinted; its value is never returned.</summary>
public sealed record SecretView(string Name, string Fingerprint, DateTime UpdatedAt);
