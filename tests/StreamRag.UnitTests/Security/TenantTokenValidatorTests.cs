using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StreamRag.Security;
using StreamRag.TestSupport;

namespace StreamRag.UnitTests.Security;

public sealed class TenantTokenValidatorTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private readonly ECDsa current = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FakeTimeProvider time = new(Now);

    public void Dispose()
    {
        current.Dispose();
        next.Dispose();
        stranger.Dispose();
    }

    private TenantTokenValidator Validator(params (string Kid, ECDsa Key)[] keys) => new(Options.Create(new TokenOptions
    {
        Mode = TokenMode.Required,
        Keys = keys.Select(k => new TokenKeyOptions { Kid = k.Kid, PublicKeyPem = k.Key.ExportSubjectPublicKeyInfoPem() }).ToList(),
    }), time);

    private static string Issue(ECDsa key, string kid, string tenant = "acme", TokenScope scope = TokenScope.Query, TimeSpan? from = null, TimeSpan? ttl = null) =>
        TokenIssuer.Issue(key, kid, [tenant], [scope], Now + (from ?? TimeSpan.FromMinutes(-1)), Now + (from ?? TimeSpan.FromMinutes(-1)) + (ttl ?? TimeSpan.FromHours(1)));

    private async Task<string?> RefusalAsync(string? token, string tenant = "acme", TokenScope scope = TokenScope.Query)
    {
        var check = await Validator(("k1", current)).CheckAsync(token, tenant, scope);
        Assert.Equal(check.Reason is null, check.Granted);
        return check.Reason;
    }

    [Fact]
    public async Task ValidToken_IsGranted_ForItsTenantAndScope()
    {
        Assert.Null(await RefusalAsync(Issue(current, "k1")));
        Assert.Null(await RefusalAsync(Issue(current, "k1", scope: TokenScope.Write), scope: TokenScope.Write));
    }

    [Fact]
    public async Task TokenOfSeveralTenantsAndScopes_GrantsEach()
    {
        var token = TokenIssuer.Issue(current, "k1", ["acme", "globex"], [TokenScope.Query, TokenScope.Write], Now, Now.AddHours(1));
        var validator = Validator(("k1", current));
        Assert.True((await validator.CheckAsync(token, "globex", TokenScope.Write)).Granted);
        Assert.True((await validator.CheckAsync(token, "acme", TokenScope.Query)).Granted);
        Assert.StartsWith("tenant not granted", (await validator.CheckAsync(token, "initech", TokenScope.Query)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingToken_IsRefused() =>
        Assert.StartsWith("missing token", await RefusalAsync(null), StringComparison.Ordinal);

    [Fact]
    public async Task Garbage_IsRefusedAsMalformed()
    {
        Assert.StartsWith("malformed token", await RefusalAsync("not-a-token"), StringComparison.Ordinal);
        Assert.StartsWith("malformed token", await RefusalAsync(new string('a', TenantTokenValidator.MaxTokenLength + 1)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredToken_IsRefused_PastTheClockSkew()
    {
        var token = Issue(current, "k1", from: TimeSpan.FromHours(-2), ttl: TimeSpan.FromHours(1));
        Assert.StartsWith("token expired at 2026-12-05T11:00:00Z", await RefusalAsync(token), StringComparison.Ordinal);

        // Within the 30 s leeway it is still good; the validator reads the injected clock.
        var justExpired = Issue(current, "k1", from: TimeSpan.FromMinutes(-61), ttl: TimeSpan.FromMinutes(60.8));
        Assert.Null(await RefusalAsync(justExpired));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.StartsWith("token expired", await RefusalAsync(justExpired), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotYetValidToken_IsRefused_UntilItsNbf()
    {
        var token = Issue(current, "k1", from: TimeSpan.FromMinutes(10));
        Assert.StartsWith("token not yet valid: valid from 2026-12-05T12:10:00Z", await RefusalAsync(token), StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(await RefusalAsync(token));
    }

    [Fact]
    public async Task TokenSignedWithAnotherKey_UnderAConfiguredKid_HasABadSignature() =>
        Assert.StartsWith("bad signature", await RefusalAsync(Issue(stranger, "k1")), StringComparison.Ordinal);

    [Fact]
    public async Task TokenNamingAnUnknownKid_IsRefused() =>
        Assert.StartsWith("unknown key: the token's kid 'k9'", await RefusalAsync(Issue(stranger, "k9")), StringComparison.Ordinal);

    [Fact]
    public async Task AlgNone_IsRefused() =>
        Assert.StartsWith("bad signature: algorithm 'none' is not accepted",
            await RefusalAsync(ForgedTokens.Unsigned("k1", ["acme"], "query write", Now.AddHours(1))), StringComparison.Ordinal);

    [Fact]
    public async Task Hs256SignedWithThePublicKey_IsRefused()
    {
        var token = ForgedTokens.Hmac("k1", Encoding.ASCII.GetBytes(current.ExportSubjectPublicKeyInfoPem()), ["acme"], "query", Now.AddHours(1));
        Assert.StartsWith("bad signature: algorithm 'HS256' is not accepted", await RefusalAsync(token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TamperedPayload_HasABadSignature()
    {
        var genuine = Issue(current, "k1", tenant: "globex");
        var forged = ForgedTokens.Tampered(genuine, p => p["tenants"] = new JsonArray("acme"));
        Assert.StartsWith("bad signature", await RefusalAsync(forged), StringComparison.Ordinal);
        var longer = ForgedTokens.Tampered(Issue(current, "k1", ttl: TimeSpan.FromMinutes(1)), p => p["exp"] = Now.AddYears(1).ToUnixTimeSeconds());
        Assert.StartsWith("bad signature", await RefusalAsync(longer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherTenantsToken_IsRefused() =>
        Assert.Equal("tenant not granted: the token does not grant tenant 'acme' (it grants: globex)", await RefusalAsync(Issue(current, "k1", tenant: "globex")));

    [Fact]
    public async Task WriteScopeUsedToQuery_AndBack_AreRefused()
    {
        Assert.Equal("scope not granted: the token does not grant 'query' (it grants: write)", await RefusalAsync(Issue(current, "k1", scope: TokenScope.Write)));
        Assert.Equal("scope not granted: the token does not grant 'write' (it grants: query)", await RefusalAsync(Issue(current, "k1"), scope: TokenScope.Write));
    }

    [Fact]
    public async Task Rotation_BothKeysAccepted_ThenTheOldOneRotatedOut()
    {
        var old = Issue(current, "k1");
        var fresh = Issue(next, "k2");
        var during = Validator(("k1", current), ("k2", next));
        Assert.True((await during.CheckAsync(old, "acme", TokenScope.Query)).Granted);
        Assert.True((await during.CheckAsync(fresh, "acme", TokenScope.Query)).Granted);

        var after = Validator(("k2", next));
        Assert.StartsWith("unknown key: the token's kid 'k1'", (await after.CheckAsync(old, "acme", TokenScope.Query)).Reason, StringComparison.Ordinal);
        Assert.True((await after.CheckAsync(fresh, "acme", TokenScope.Query)).Granted);
        // An old token relabelled with the new kid does not verify with the new key.
        var relabelled = TokenIssuer.Issue(current, "k2", ["acme"], [TokenScope.Query], Now, Now.AddHours(1));
        Assert.StartsWith("bad signature", (await after.CheckAsync(relabelled, "acme", TokenScope.Query)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVerifiedToken_IsStillCheckedForLifetimeTenantAndScope_AtEveryUse()
    {
        var validator = Validator(("k1", current));
        var token = Issue(current, "k1", from: TimeSpan.FromMinutes(-1), ttl: TimeSpan.FromMinutes(10));
        Assert.True((await validator.CheckAsync(token, "acme", TokenScope.Query)).Granted);
        Assert.True((await validator.CheckAsync(token, "acme", TokenScope.Query)).Granted);
        Assert.StartsWith("tenant not granted", (await validator.CheckAsync(token, "globex", TokenScope.Query)).Reason, StringComparison.Ordinal);
        Assert.StartsWith("scope not granted", (await validator.CheckAsync(token, "acme", TokenScope.Write)).Reason, StringComparison.Ordinal);
        // An altered copy of a verified token is a different text: verified on its own, and refused.
        var altered = ForgedTokens.Tampered(token, p => p["exp"] = Now.AddYears(1).ToUnixTimeSeconds());
        Assert.StartsWith("bad signature", (await validator.CheckAsync(altered, "acme", TokenScope.Query)).Reason, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.StartsWith("token expired at 2026-12-05T12:09:00Z", (await validator.CheckAsync(token, "acme", TokenScope.Query)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModeOff_GrantsEverything_AsBefore()
    {
        var off = new TenantTokenValidator(Options.Create(new TokenOptions()), time);
        Assert.False(off.Required);
        Assert.True((await off.CheckAsync(null, "acme", TokenScope.Write)).Granted);
        Assert.True((await off.CheckAsync("garbage", "acme", TokenScope.Query)).Granted);
    }

    [Fact]
    public void KidOf_IsTheSameForThePrivateAndPublicHalf_AndIssuedTokensNameIt()
    {
        var (privatePem, publicPem, kid) = TokenKeys.NewPair();
        using var privateKey = TokenKeys.ReadPrivate(privatePem);
        Assert.Equal(kid, TokenKeys.KidOf(privateKey));
        Assert.Equal(kid, TokenKeys.ReadPublic(publicPem, kid).KeyId);
        Assert.Equal(43, kid.Length); // base64url of a SHA-256
        Assert.ThrowsAny<CryptographicException>(() => TokenKeys.ReadPrivate(publicPem));
    }
}
