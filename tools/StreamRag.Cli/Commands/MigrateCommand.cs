using Spectre.Console;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

/// <summary><c>streamrag migrate</c>: <see cref="SearchIndexCommands.MigrateAsync"/>, as <c>StreamRag.IndexAdmin migrate</c>.</summary>
public sealed class MigrateCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<MigrateSettings>(environment)
{
    protected override async Task<int> RunAsync(MigrateSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.IndexOptions();
        var timeout = OptionValues.Duration("--timeout", settings.Timeout);
        await using var session = await CliSession.OpenAsync(settings);
        var commands = new SearchIndexCommands(session.Db, session.Keys, options, settings.SearchOptions(), console.Profile.Out.Writer, Environment.Time);
        return await commands.MigrateAsync(timeout, cancellationToken);
    }
}
