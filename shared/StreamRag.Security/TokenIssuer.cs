using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StreamRag.Security;

/// <summary>
/// Mints tenant tokens with a private key (<c>streamrag token issue</c>, the demo, tests). Only the
/// holder of the private key can: the workers are given the public key alone.
/// </summary>
public static class TokenIssuer
{
    public static string Issue(ECDsa privateKey, string kid, IReadOnlyCollection<string> tenants, IReadOnlyCollection<TokenScope> scopes, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentException.ThrowIfNullOrEmpty(kid);
        ArgumentNullException.ThrowIfNull(tenants);
        ArgumentNullException.ThrowIfNull(scopes);
        if (tenants.Count == 0 || scopes.Count == 0)
        {
            throw new ArgumentException("a token needs at least one tenant and one scope");
        }

        if (expires <= notBefore)
        {
            throw new ArgumentException("a token must expire after it becomes valid");
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Audience = TokenClaims.Audience,
            IssuedAt = notBefore.UtcDateTime,
            NotBefore = notBefore.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                [TokenClaims.Tenants] = tenants.ToArray(),
                [TokenClaims.Scope] = string.Join(' ', scopes.Distinct().Select(TokenClaims.NameOf)),
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(privateKey) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256)
            {
                // The shared factory caches a signer per key thumbprint, holding this ECDsa instance:
                // the next token of the same key, signed with a fresh instance, would get the disposed one.
                CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
