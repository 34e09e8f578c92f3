using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace StreamRag.Security;

/// <summary>Reading, making and naming ES256 (ECDSA P-256) keys in PEM.</summary>
public static class TokenKeys
{
    /// <summary>
    /// The public key in <paramref name="pem"/> as a signing key named <paramref name="kid"/>.
    /// Throws <see cref="ArgumentException"/> or <see cref="CryptographicException"/> when the PEM is not an EC P-256 key.
    /// </summary>
    public static ECDsaSecurityKey ReadPublic(string pem, string kid)
    {
        ArgumentNullException.ThrowIfNull(pem);
        // ImportFromPem takes a private key too: a worker given one could mint tokens.
        if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new ArgumentException("this is a private key; give the workers the public key only (the .pub.pem file)");
        }

        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value && parameters.Curve.Oid.FriendlyName != "nistP256")
        {
            throw new ArgumentException($"the key is on curve '{parameters.Curve.Oid.FriendlyName ?? parameters.Curve.Oid.Value}'; ES256 needs P-256");
        }

        return new ECDsaSecurityKey(ecdsa) { KeyId = kid };
    }

    /// <summary>The private key in <paramref name="pem"/> (PKCS#8 or SEC1), for signing.</summary>
    public static ECDsa ReadPrivate(string pem)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        // Exporting the private parameters fails for a public key: a signer needs the private half.
        _ = ecdsa.ExportParameters(includePrivateParameters: true);
        return ecdsa;
    }

    /// <summary>A new P-256 key pair: the private key (PKCS#8 PEM), the public key (SubjectPublicKeyInfo PEM) and its kid.</summary>
    public static (string PrivatePem, string PublicPem, string Kid) NewPair()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (ecdsa.ExportPkcs8PrivateKeyPem(), ecdsa.ExportSubjectPublicKeyInfoPem(), KidOf(ecdsa));
    }

    /// <summary>The default kid of a key: its RFC 7638 JWK thumbprint (base64url SHA-256), the same for the private and the public half.</summary>
    public static string KidOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        using var publicOnly = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
        return Base64UrlEncoder.Encode(new ECDsaSecurityKey(publicOnly).ComputeJwkThumbprint());
    }
}
