using System.Security.Cryptography;

namespace Switchboard;

/// <summary>Prefixed random ids: acc_, prj_, key_. Lower-case base36 so they are safe in URLs and keys.</summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static string New(string prefix, int length = 20) => prefix + "_" + RandomNumberGenerator.GetString(Alphabet, length);
}
