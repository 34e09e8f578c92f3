using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StreamRag.Security;

/// <summary>
/// Checks the token of a document event or a query request against its tenant and what it asks to
/// do. The signature and lifetime are the library's (JsonWebTokenHandler); this class only fixes
/// what is accepted (ES256 with a configured kid, an <c>exp</c>, the StreamRag audience), then reads
/// the grants. Every refusal names its reason, for the caller's error reply or the dead letter.
/// </summary>
public sealed class TenantTokenValidator
{
    /// <summary>A bigger token is refused before it is parsed: a StreamRag token is a few hundred bytes.</summary>
    public const int MaxTokenLength = 8192;

    /// <summary>Most verified tokens remembered; past it the memory starts again (a flood of distinct valid tokens is the issuer's doing).</summary>
    private const int MaxVerified = 10_000;

    private readonly JsonWebTokenHandler handler = new() { MaximumTokenSizeInBytes = MaxTokenLength };

    // A producer sends the same token with every event: its signature (about 0.2 ms of CPU) is
    // verified once; its lifetime and grants are checked at every use. Keyed by the exact text, so
    // an altered token is never taken for a verified one.
    private readonly ConcurrentDictionary<string, VerifiedToken> verified = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly TokenValidationParameters parameters;
    private readonly HashSet<string> kids;

    public TenantTokenValidator(IOptions<TokenOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        this.time = time;
        Required = settings.Mode == TokenMode.Required;
        // The keys were read once already by TokenOptionsValidator at start-up: these cannot fail.
        var keys = settings.Keys.Select(k => TokenKeys.ReadPublic(TokenOptionsValidator.PemOf(k), k.Kid)).ToArray();
        kids = keys.Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal);
        parameters = new TokenValidationParameters
        {
            ValidAlgorithms = [TokenClaims.Algorithm],
            IssuerSigningKeys = keys,
            // A token names its key; it is never tried against the others (a key rotated out stays out).
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = settings.ClockSkew,
            ValidateAudience = true,
            ValidAudience = TokenClaims.Audience,
            ValidateIssuer = false,
            // The library's own lifetime check reads the system clock; this one reads the injected time.
            LifetimeValidator = (notBefore, expires, _, p) => ValidateLifetime(time.GetUtcNow().UtcDateTime, notBefore, expires, p.ClockSkew),
        };
    }

    /// <summary>False when <c>Security:Tokens:Mode</c> is <c>Off</c>: every check is granted.</summary>
    public bool Required { get; }

    /// <summary>Whether <paramref name="token"/> lets its holder do <paramref name="scope"/> in <paramref name="tenant"/>.</summary>
    public async ValueTask<TokenCheck> CheckAsync(string? token, string tenant, TokenScope scope)
    {
        if (!Required)
        {
            return TokenCheck.Allowed;
        }

        if (string.IsNullOrEmpty(token))
        {
            return TokenCheck.Refused("missing token: this fleet requires a signed tenant token (field 'token')");
        }

        if (token.Length > MaxTokenLength)
        {
            return TokenCheck.Refused($"malformed token: {token.Length} characters, the limit is {MaxTokenLength}");
        }

        if (verified.TryGetValue(token, out var known))
        {
            try
            {
                ValidateLifetime(time.GetUtcNow().UtcDateTime, known.NotBefore, known.Expires, parameters.ClockSkew);
            }
            catch (SecurityTokenException ex)
            {
                return TokenCheck.Refused(ReasonOf(ex, null));
            }

            return Grants(known, tenant, scope);
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return TokenCheck.Refused("malformed token: not a signed JWT (header.payload.signature)");
        }

        // Checked before the signature, to say exactly why: 'none' and HS* are never keys of this fleet.
        if (jwt.Alg != TokenClaims.Algorithm)
        {
            return TokenCheck.Refused($"bad signature: algorithm '{Shown(jwt.Alg)}' is not accepted; tokens are signed with {TokenClaims.Algorithm}");
        }

        if (string.IsNullOrEmpty(jwt.Kid) || !kids.Contains(jwt.Kid))
        {
            return TokenCheck.Refused($"unknown key: the token's kid '{Shown(jwt.Kid)}' is not configured (Security:Tokens:Keys; rotated out?)");
        }

        var result = await handler.ValidateTokenAsync(jwt, parameters);
        if (!result.IsValid)
        {
            return TokenCheck.Refused(ReasonOf(result.Exception, jwt));
        }

        var scopes = jwt.TryGetPayloadValue<string>(TokenClaims.Scope, out var scopeText) ? scopeText.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        var grant = new VerifiedToken(TenantsOf(jwt), scopes, jwt.ValidFrom == DateTime.MinValue ? null : jwt.ValidFrom, jwt.ValidTo);
        if (verified.Count >= MaxVerified)
        {
            verified.Clear();
        }

        verified[token] = grant;
        return Grants(grant, tenant, scope);
    }

    private static TokenCheck Grants(VerifiedToken token, string tenant, TokenScope scope)
    {
        if (!token.Tenants.Contains(tenant, StringComparer.Ordinal))
        {
            return TokenCheck.Refused($"tenant not granted: the token does not grant tenant '{tenant}' (it grants: {Shown(string.Join(", ", token.Tenants))})");
        }

        if (!token.Scopes.Contains(TokenClaims.NameOf(scope), StringComparer.Ordinal))
        {
            return TokenCheck.Refused($"scope not granted: the token does not grant '{TokenClaims.NameOf(scope)}' (it grants: {Shown(string.Join(' ', token.Scopes))})");
        }

        return TokenCheck.Allowed;
    }

    /// <summary>As the library's lifetime check, with its exceptions (so refusals read the same), at <paramref name="now"/>.</summary>
    private static bool ValidateLifetime(DateTime now, DateTime? notBefore, DateTime? expires, TimeSpan skew)
    {
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("the token has no exp");
        }

        if (notBefore is { } nbf && nbf > exp)
        {
            throw new SecurityTokenInvalidLifetimeException("nbf is after exp") { NotBefore = nbf, Expires = exp };
        }

        if (notBefore is { } from && from > now + skew)
        {
            throw new SecurityTokenNotYetValidException("the token is not valid yet") { NotBefore = from };
        }

        if (exp < now - skew)
        {
            throw new SecurityTokenExpiredException("the token has expired") { Expires = exp };
        }

        return true;
    }

    private static string[] TenantsOf(JsonWebToken jwt)
    {
        if (jwt.TryGetPayloadValue<string[]>(TokenClaims.Tenants, out var many) && many is not null)
        {
            return many;
        }

        return jwt.TryGetPayloadValue<string>(TokenClaims.Tenants, out var one) && one is not null ? [one] : [];
    }

    private static string ReasonOf(Exception? ex, JsonWebToken? jwt) => ex switch
    {
        SecurityTokenExpiredException expired => $"token expired at {Time(expired.Expires)}",
        SecurityTokenNotYetValidException early => $"token not yet valid: valid from {Time(early.NotBefore)}",
        SecurityTokenNoExpirationException => "malformed token: it has no expiry (exp)",
        SecurityTokenInvalidLifetimeException => "malformed token: its validity period is empty (nbf after exp)",
        SecurityTokenInvalidAudienceException => $"malformed token: its audience is not '{TokenClaims.Audience}'",
        SecurityTokenSignatureKeyNotFoundException => $"unknown key: the token's kid '{Shown(jwt?.Kid)}' is not configured",
        SecurityTokenInvalidSignatureException or SecurityTokenInvalidAlgorithmException => "bad signature: the token was not signed by the key it names (forged or altered)",
        _ => $"malformed token: {ex?.GetType().Name ?? "invalid"}",
    };

    private static string Time(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A value from the token as quoted in a message: at most 64 characters, no control characters.</summary>
    private static string Shown(string? value)
    {
        var text = value ?? "";
        text = text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "…");
        return string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));
    }

    /// <summary>What a token whose signature was verified grants, and when.</summary>
    private sealed record VerifiedToken(string[] Tenants, string[] Scopes, DateTime? NotBefore, DateTime Expires);
}
