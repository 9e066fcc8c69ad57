namespace Switchboard;

/// <summary>Every setting lives under "Switchboard" (env: Switchboard__Section__Name). See README.</summary>
public sealed class SwitchboardOptions
{
    public const string Section = "Switchboard";

    public DatabaseOptions Database { get; set; } = new();
    public CryptoOptions Crypto { get; set; } = new();
    /// <summary>Bearer token for operators; acts on the account named by X-Account-ID. Empty disables it.</summary>
    public string? AdminToken { get; set; }
    /// <summary>Largest accepted request body.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
    /// <summary>Create the default account, project and API key on an empty database.</summary>
    public bool Bootstrap { get; set; } = true;
    /// <summary>
    /// How long a node serves a cached integration-list page, and an account's custom providers. Writes on the node
    /// drop them at once; writes on other nodes are seen within this time. Zero turns the caches off.
    /// </summary>
    public TimeSpan ListCacheTtl { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How long an API key lookup is cached on one node.</summary>
    public TimeSpan ApiKeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How often each node polls for keys revoked elsewhere (CLI, other nodes).</summary>
    public TimeSpan ApiKeyRevocationPollInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>The URL browsers reach this service at; OAuth start and callback URLs are built on it.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";
    /// <summary>How long an install link (PublicBaseUrl/connect/{token}) stays usable.</summary>
    public TimeSpan InstallLinkTtl { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>One aggressive GC a second after start, so an idle node does not keep its startup garbage.</summary>
    public bool ReleaseStartupMemory { get; set; } = true;
}

public sealed class DatabaseOptions
{
    /// <summary>"sqlite" (default) or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";
    public string ConnectionString { get; set; } = "Data Source=data/switchboard.db";
    public bool MigrateOnStartup { get; set; } = true;
    /// <summary>How long a start (or an admin command) waits for an unreachable database before it exits with code 1.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class CryptoOptions
{
    /// <summary>JSON key file: {"active":"k1","keys":{"k1":"base64 of 32 bytes"}}.</summary>
    public string KeyFile { get; set; } = "data/master-keys.json";
    /// <summary>Keys inline, "kid:base64;kid:base64"; takes precedence over the key file.</summary>
    public string? Keys { get; set; }
    /// <summary>Active key id when Keys is used; defaults to the last one listed.</summary>
    public string? ActiveKeyId { get; set; }
    /// <summary>Create a key file when none exists. Always on in Development.</summary>
    public bool AutoCreateKey { get; set; }
}
