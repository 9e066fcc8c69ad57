using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Switchboard.Credentials;

/// <summary>RFC 7523 JWT-bearer assertion for a Google service account, signed RS256 with its private key.</summary>
public static class GoogleAssertion
{
    public static string Create(string clientEmail, string privateKeyPem, string scope, string audience, DateTime now, string? subject = null)
    {
        var iat = new DateTimeOffset(now).ToUnixTimeSeconds();
        var header = new Dictionary<string, object> { ["alg"] = "RS256", ["typ"] = "JWT" };
        var claims = new Dictionary<string, object>
        {
            ["iss"] = clientEmail, ["scope"] = scope, ["aud"] = audience, ["iat"] = iat, ["exp"] = iat + 3600,
        };
        if (subject is not null) claims["sub"] = subject;
        var signingInput = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        using var rsa = RSA.Create();
        rsa.ImportFromPem(privateKeyPem.Replace("\\n", "\n"));
        var signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }
}
