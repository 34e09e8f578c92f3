using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Security;

namespace StreamRag.Cli.Commands;

public sealed class KeysNewSettings : GlobalSettings
{
    [CommandOption("--out <DIR>")]
    [Description("directory for the key files (default: the current one)")]
    public string Out { get; init; } = ".";

    [CommandOption("--kid <KID>")]
    [Description("the key id (default: the key's RFC 7638 thumbprint)")]
    public string? Kid { get; init; }
}

/// <summary>
/// <c>streamrag keys new</c>: an ES256 (P-256) key pair for tenant tokens. The private key signs
/// tokens (keep it off the workers); the public key goes into the workers' <c>Security:Tokens:Keys</c>.
/// </summary>
public sealed class KeysNewCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<KeysNewSettings>(environment)
{
    protected override async Task<int> RunAsync(KeysNewSettings settings, CancellationToken cancellationToken)
    {
        var (privatePem, publicPem, thumbprint) = TokenKeys.NewPair();
        var kid = settings.Kid ?? thumbprint;
        if (kid.Length is 0 or > 128 || kid.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')))
        {
            throw CliException.Usage($"--kid: '{kid}' must be 1 to 128 characters from [A-Za-z0-9_-.]");
        }

        if (!Directory.Exists(settings.Out))
        {
            throw CliException.Usage($"--out: directory '{settings.Out}' does not exist");
        }

        var privatePath = Path.Combine(settings.Out, $"{kid}.key");
        var publicPath = Path.Combine(settings.Out, $"{kid}.pub.pem");
        if (File.Exists(privatePath) || File.Exists(publicPath))
        {
            throw CliException.Usage($"--out: {privatePath} or {publicPath} exists already; not overwritten");
        }

        // Readable by its owner only, from the moment it exists.
        var owner = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            owner.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new StreamWriter(privatePath, owner))
        {
            await file.WriteAsync(privatePem.AsMemory(), cancellationToken);
            await file.WriteLineAsync();
        }

        await File.WriteAllTextAsync(publicPath, publicPem + "\n", cancellationToken);
        var output = console.Profile.Out.Writer;
        await output.WriteLineAsync($"kid: {kid}");
        await output.WriteLineAsync($"private key: {privatePath} (signs tokens: keep it off the workers)");
        await output.WriteLineAsync($"public key: {publicPath} (Security:Tokens:Keys:N:PublicKeyFile, with Kid {kid})");
        return ExitCodes.Ok;
    }
}
