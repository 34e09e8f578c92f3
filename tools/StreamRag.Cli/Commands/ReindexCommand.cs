using Spectre.Console;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

/// <summary><c>streamrag reindex</c>: <see cref="SearchIndexCommands.CreateAsync"/> (or <c>StatusAsync</c> with --check), as <c>StreamRag.IndexAdmin create</c> / <c>status</c>.</summary>
public sealed class ReindexCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<ReindexSettings>(environment)
{
    protected override async Task<int> RunAsync(ReindexSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.IndexOptions();
        await using var session = await CliSession.OpenAsync(settings);
        var commands = new SearchIndexCommands(session.Db, session.Keys, options, settings.SearchOptions(), console.Profile.Out.Writer, Environment.Time);
        return settings.Check ? await commands.StatusAsync(cancellationToken) : await commands.CreateAsync(cancellationToken);
    }
}
