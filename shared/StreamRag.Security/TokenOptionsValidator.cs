using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace StreamRag.Security;

/// <summary>
/// Checks <c>Security:Tokens</c> at start-up: when tokens are required there is at least one key,
/// every key has a distinct kid and one readable P-256 public key (PEM text or file). A bad key
/// stops the host naming it, instead of refusing every request later.
/// </summary>
public sealed class TokenOptionsValidator : IValidateOptions<TokenOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Mode == TokenMode.Required && options.Keys.Count == 0)
        {
            failures.Add($"{TokenOptions.Section}:Mode is Required but no public key is configured ({TokenOptions.Section}:Keys:0:Kid and :PublicKeyFile or :PublicKeyPem)");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{TokenOptions.Section}:ClockSkew must be from 0 to 10 minutes, not {options.ClockSkew}");
        }

        var kids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var at = $"{TokenOptions.Section}:Keys:{i}";
            if (string.IsNullOrWhiteSpace(key.Kid))
            {
                failures.Add($"{at}:Kid is required (the kid tokens signed with this key name; 'streamrag keys new' prints it)");
            }
            else if (!kids.Add(key.Kid))
            {
                failures.Add($"{at}:Kid '{key.Kid}' is configured twice");
            }

            if ((key.PublicKeyPem is null) == (key.PublicKeyFile is null))
            {
                failures.Add($"{at}: give exactly one of PublicKeyFile and PublicKeyPem");
                continue;
            }

            try
            {
                using var _ = TokenKeys.ReadPublic(PemOf(key), key.Kid).ECDsa;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{at}:PublicKeyFile '{key.PublicKeyFile}' cannot be read: {ex.Message}");
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                failures.Add($"{at}: not an ES256 (EC P-256) public key in PEM: {ex.Message}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The PEM text of a key: inline, or read from its file.</summary>
    internal static string PemOf(TokenKeyOptions key) => key.PublicKeyPem ?? File.ReadAllText(key.PublicKeyFile!);
}
