using System.ComponentModel;
using System.Security.Cryptography;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Security;

namespace StreamRag.Cli.Commands;

public sealed class TokenIssueSettings : GlobalSettings
{
    [CommandOption("--tenant <TENANT>")]
    [Description("a tenant the token may use (repeat for several)")]
    public string[] Tenants { get; init; } = [];

    [CommandOption("--scope <SCOPE>")]
    [Description("query or write (repeat for both)")]
    public string[] Scopes { get; init; } = [];

    [CommandOption("--ttl <DURATION>")]
    [Description("how long the token is valid (e.g. 30d, 12h, 15m)")]
    [DefaultValue("30d")]
    public string Ttl { get; init; } = "30d";

    [CommandOption("--key <FILE>")]
    [Description("the private key file ('streamrag keys new' writes it)")]
    public string? Key { get; init; }

    [CommandOption("--kid <KID>")]
    [Description("the key id (default: the key's thumbprint, as 'keys new' names it)")]
    public string? Kid { get; init; }
}

/// <summary><c>streamrag token issue</c>: prints a signed tenant token (ES256 JWT) on standard output, alone, for scripts.</summary>
public sealed class TokenIssueCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<TokenIssueSettings>(environment)
{
    protected override async Task<int> RunAsync(TokenIssueSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Tenants.Length == 0)
        {
            throw CliException.Usage("--tenant is required");
        }

        var badTenant = settings.Tenants.FirstOrDefault(t => !TokenClaims.IsTenantName(t));
        if (badTenant is not null)
        {
            throw CliException.Usage($"--tenant: '{badTenant}' must be 1 to 64 characters from [A-Za-z0-9_-./@] (no ':')");
        }

        var scopes = new List<TokenScope>();
        foreach (var text in settings.Scopes)
        {
            if (!TokenClaims.TryParseScope(text, out var scope))
            {
                throw CliException.Usage($"--scope: '{text}' is not a scope (query or write)");
            }

            scopes.Add(scope);
        }

        if (scopes.Count == 0)
        {
            throw CliException.Usage("--scope is required (query or write)");
        }

        var ttl = OptionValues.Duration("--ttl", settings.Ttl);
        if (settings.Key is null)
        {
            throw CliException.Usage("--key is required (the private key file)");
        }

        string pem;
        try
        {
            pem = await File.ReadAllTextAsync(settings.Key, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"--key: cannot read '{settings.Key}': {ex.Message}");
        }

        ECDsa key;
        try
        {
            key = TokenKeys.ReadPrivate(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw CliException.Usage($"--key: '{settings.Key}' is not an EC private key in PEM ({ex.Message.Split('\n')[0]})");
        }

        using (key)
        {
            var now = Environment.Time.GetUtcNow();
            var token = TokenIssuer.Issue(key, settings.Kid ?? TokenKeys.KidOf(key), settings.Tenants.Distinct(StringComparer.Ordinal).ToArray(), scopes, now, now + ttl);
            await console.Profile.Out.Writer.WriteLineAsync(token);
        }

        return ExitCodes.Ok;
    }
}
