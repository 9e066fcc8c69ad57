namespace Switchboard.Sealing;

public static class KeyRingLoader
{
    /// <summary>Inline keys win; else the key file, created first when allowed. Never throws.</summary>
    public static KeyRing Load(CryptoOptions options, bool allowCreate, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(options.Keys))
            return Report(KeyRing.FromInline(options.Keys, options.ActiveKeyId), logger);

        if (!File.Exists(options.KeyFile))
        {
            if (!allowCreate)
                return Report(KeyRing.Unavailable($"no key configured (set Switchboard__Crypto__Keys or create '{options.KeyFile}')"), logger);
            try
            {
                KeyRing.CreateKeyFile(options.KeyFile);
                logger.LogWarning("Created a development master key file at {KeyFile} (mode 0600). Use a managed key in production.",
                    Path.GetFullPath(options.KeyFile));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Report(KeyRing.Unavailable($"key file '{options.KeyFile}' cannot be created ({e.GetType().Name})"), logger);
            }
        }
        if (!OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(options.KeyFile) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            logger.LogWarning("Key file {KeyFile} is readable or writable by other users; make it mode 0600.", Path.GetFullPath(options.KeyFile));
        return Report(KeyRing.FromFile(options.KeyFile), logger);
    }

    private static KeyRing Report(KeyRing ring, ILogger logger)
    {
        if (ring.IsAvailable)
            logger.LogInformation("Key ring ready: {Count} key(s), active {ActiveKeyId}", ring.KeyIds.Count, ring.ActiveKeyId);
        else
            logger.LogError("Secret encryption is unavailable: {Problem}. Endpoints that store or read secrets answer 503.", ring.Problem);
        return ring;
    }
}
