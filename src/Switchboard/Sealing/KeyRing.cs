using System.Security.Cryptography;
using System.Text.Json;

namespace Switchboard.Sealing;

/// <summary>
/// The key-encryption keys (KEKs). Loaded once at start; when none is usable the ring is
/// "unavailable" and every encrypt/decrypt answers 503 instead of failing the process.
/// </summary>
public sealed class KeyRing
{
    private readonly Dictionary<string, byte[]> _keys;

    public string? ActiveKeyId { get; }
    /// <summary>Why the ring is unavailable; never contains key material.</summary>
    public string? Problem { get; }
    public bool IsAvailable => Problem is null;
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    private KeyRing(Dictionary<string, byte[]> keys, string? active, string? problem)
    {
        _keys = keys;
        ActiveKeyId = active;
        Problem = problem;
    }

    public static KeyRing Unavailable(string problem) => new([], null, problem);

    public static KeyRing Create(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId)
    {
        var copy = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, key) in keys)
        {
            if (!IsValidKeyId(id)) return Unavailable($"key id '{Sanitize(id)}' is not valid (1-64 of [A-Za-z0-9._-])");
            if (key.Length != 32) return Unavailable($"key '{id}' is {key.Length} bytes; AES-256 needs 32");
            copy[id] = key;
        }
        if (!copy.ContainsKey(activeKeyId)) return Unavailable($"active key '{Sanitize(activeKeyId)}' is not in the key ring");
        return new KeyRing(copy, activeKeyId, null);
    }

    public bool TryGet(string keyId, out byte[] key) => _keys.TryGetValue(keyId, out key!);

    public byte[] ActiveKey => ActiveKeyId is { } id ? _keys[id] : throw new EncryptionUnavailableException(Problem ?? "no key");

    public static bool IsValidKeyId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static string Sanitize(string s) => new(s.Take(64).Where(c => !char.IsControl(c)).ToArray());

    /// <summary>"kid:base64;kid:base64" → ring. The last key listed is active unless one is named.</summary>
    public static KeyRing FromInline(string spec, string? activeKeyId)
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string? last = null;
        foreach (var part in spec.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':');
            if (colon <= 0) return Unavailable("Switchboard:Crypto:Keys entries must look like kid:base64");
            var id = part[..colon];
            byte[] key;
            try { key = Convert.FromBase64String(part[(colon + 1)..]); }
            catch (FormatException) { return Unavailable($"key '{Sanitize(id)}' is not base64"); }
            keys[id] = key;
            last = id;
        }
        if (last is null) return Unavailable("Switchboard:Crypto:Keys is empty");
        return Create(keys, activeKeyId ?? last);
    }

    public static KeyRing FromFile(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unavailable($"key file '{path}' cannot be read ({e.GetType().Name})");
        }
        try
        {
            var file = JsonSerializer.Deserialize<KeyFile>(text, KeyFile.Json);
            if (file?.Keys is null || file.Keys.Count == 0 || string.IsNullOrEmpty(file.Active))
                return Unavailable($"key file '{path}' has no keys or no active key");
            var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (id, b64) in file.Keys) keys[id] = Convert.FromBase64String(b64);
            return Create(keys, file.Active);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return Unavailable($"key file '{path}' is not valid ({e.GetType().Name})");
        }
    }

    /// <summary>Writes a new key file with one fresh key, readable by the owner only.</summary>
    public static void CreateKeyFile(string path)
    {
        var id = "k" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        WriteKeyFile(path, new KeyFile { Active = id, Keys = new() { [id] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) } });
    }

    /// <summary>Adds a fresh key to the key file and makes it active; old keys stay to decrypt.</summary>
    public static string AddKeyToFile(string path)
    {
        var file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path), KeyFile.Json)
                   ?? throw new InvalidOperationException("key file is empty");
        var id = "k" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
        file.Keys ??= new();
        file.Keys[id] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        file.Active = id;
        WriteKeyFile(path, file);
        return id;
    }

    private static void WriteKeyFile(string path, KeyFile file)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        // CreateNew: a file left behind (perhaps readable by others) is never reused; the new one is born 0600.
        File.Delete(tmp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(tmp, options))
            JsonSerializer.Serialize(stream, file, KeyFile.Json);
        File.Move(tmp, path, overwrite: true);
    }

    private sealed class KeyFile
    {
        public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNameCaseInsensitive = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        public string? Active { get; set; }
        public Dictionary<string, string>? Keys { get; set; }
    }
}

public sealed class EncryptionUnavailableException(string reason) : Exception("Secret encryption service unavailable: " + reason);
