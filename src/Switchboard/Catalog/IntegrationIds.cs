using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Catalog;

/// <summary>
/// Integration ids are name-based UUIDs (RFC 9562 version 5) of project and provider, so a catalog entry
/// has the same uuid before and after it is installed, on every node, without a database row.
/// </summary>
public static class IntegrationIds
{
    private static readonly byte[] Namespace = Guid.Parse("6f1f0d6e-2b1c-4c1e-9a53-5b7f3c1d2e40").ToByteArray(bigEndian: true);

    public static Guid For(string projectId, string provider)
    {
        var name = Encoding.UTF8.GetBytes(projectId + "/" + provider);
        var input = new byte[Namespace.Length + name.Length];
        Namespace.CopyTo(input, 0);
        name.CopyTo(input, Namespace.Length);
        var hash = SHA1.HashData(input);
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
