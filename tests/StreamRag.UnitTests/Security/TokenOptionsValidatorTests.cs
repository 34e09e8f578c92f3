using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamRag.Security;

namespace StreamRag.UnitTests.Security;

public sealed class TokenOptionsValidatorTests
{
    private static readonly string PublicPem = TokenKeys.NewPair().PublicPem;

    private static TokenOptions Read(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        using var provider = new ServiceCollection().AddTenantTokens(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<TokenOptions>>().Value;
    }

    private static string Failure(params (string Key, string Value)[] settings) =>
        Assert.Throws<OptionsValidationException>(() => Read(settings)).Message;

    [Fact]
    public void NoSettings_IsOff()
    {
        Assert.Equal(TokenMode.Off, Read().Mode);
    }

    [Fact]
    public void Required_WithAKeyInline_AndAKeyFile_Binds()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, TokenKeys.NewPair().PublicPem);
            var options = Read(("Security:Tokens:Mode", "Required"),
                ("Security:Tokens:Keys:0:Kid", "k1"), ("Security:Tokens:Keys:0:PublicKeyPem", PublicPem),
                ("Security:Tokens:Keys:1:Kid", "k2"), ("Security:Tokens:Keys:1:PublicKeyFile", file));
            Assert.Equal(["k1", "k2"], options.Keys.Select(k => k.Kid));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Required_WithoutKeys_StopsStartUp() =>
        Assert.Contains("Security:Tokens:Mode is Required but no public key is configured", Failure(("Security:Tokens:Mode", "Required")), StringComparison.Ordinal);

    [Fact]
    public void UnknownKey_IsRejected()
    {
        var inKey = Failure(("Security:Tokens:Mode", "Required"), ("Security:Tokens:Keys:0:Kid", "k1"), ("Security:Tokens:Keys:0:PublicKey", PublicPem));
        Assert.StartsWith("unknown setting 'PublicKey' under 'Security:Tokens:Keys:0' (a key has Kid, PublicKeyFile, PublicKeyPem", inKey, StringComparison.Ordinal);
        Assert.StartsWith("unknown setting 'Required' under 'Security:Tokens'", Failure(("Security:Tokens:Required", "true")), StringComparison.Ordinal);
    }

    [Fact]
    public void BadMode_IsRejected() =>
        Assert.Contains("Security:Tokens", Failure(("Security:Tokens:Mode", "Sometimes")), StringComparison.Ordinal);

    [Fact]
    public void BadPem_MissingFile_DuplicateKid_AndBothOrNeither_AreEachNamed()
    {
        var message = Failure(("Security:Tokens:Mode", "Required"),
            ("Security:Tokens:Keys:0:Kid", "k1"), ("Security:Tokens:Keys:0:PublicKeyPem", "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----"),
            ("Security:Tokens:Keys:1:Kid", "k1"), ("Security:Tokens:Keys:1:PublicKeyFile", "/nonexistent/key.pem"),
            ("Security:Tokens:Keys:2:Kid", "k3"),
            ("Security:Tokens:Keys:3:PublicKeyPem", PublicPem));
        Assert.Contains("Security:Tokens:Keys:0: not an ES256 (EC P-256) public key in PEM", message, StringComparison.Ordinal);
        Assert.Contains("Security:Tokens:Keys:1:Kid 'k1' is configured twice", message, StringComparison.Ordinal);
        Assert.Contains("Security:Tokens:Keys:1:PublicKeyFile '/nonexistent/key.pem' cannot be read", message, StringComparison.Ordinal);
        Assert.Contains("Security:Tokens:Keys:2: give exactly one of PublicKeyFile and PublicKeyPem", message, StringComparison.Ordinal);
        Assert.Contains("Security:Tokens:Keys:3:Kid is required", message, StringComparison.Ordinal);
    }

    [Fact]
    public void APrivateKey_IsRefused_WorkersHoldPublicKeysOnly()
    {
        var message = Failure(("Security:Tokens:Mode", "Required"), ("Security:Tokens:Keys:0:Kid", "k1"), ("Security:Tokens:Keys:0:PublicKeyPem", TokenKeys.NewPair().PrivatePem));
        Assert.Contains("Security:Tokens:Keys:0: not an ES256 (EC P-256) public key in PEM: this is a private key", message, StringComparison.Ordinal);
    }

    [Fact]
    public void RsaOrP384Keys_AreRefused()
    {
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var message = Failure(("Security:Tokens:Mode", "Required"),
            ("Security:Tokens:Keys:0:Kid", "rsa"), ("Security:Tokens:Keys:0:PublicKeyPem", rsa.ExportSubjectPublicKeyInfoPem()),
            ("Security:Tokens:Keys:1:Kid", "p384"), ("Security:Tokens:Keys:1:PublicKeyPem", p384.ExportSubjectPublicKeyInfoPem()));
        Assert.Contains("Security:Tokens:Keys:0: not an ES256", message, StringComparison.Ordinal);
        Assert.Contains("Security:Tokens:Keys:1: not an ES256 (EC P-256) public key in PEM: the key is on curve", message, StringComparison.Ordinal);
    }
}
