using Spectre.Console;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterPurgeCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<DeadLetterPurgeSettings>(environment)
{
    protected override async Task<int> RunAsync(DeadLetterPurgeSettings settings, CancellationToken cancellationToken)
    {
        await using var session = await CliSession.OpenAsync(settings);
        var store = new DeadLetterStore(session.Db, session.Keys);
        if (!settings.Yes)
        {
            var counts = new List<string>();
            foreach (var stream in settings.Streams)
            {
                counts.Add($"{await store.CountAsync(stream)} in {store.KeyOf(stream)}");
            }

            throw CliException.Usage($"purge deletes {string.Join(" and ", counts)}; add --yes to do it");
        }

        foreach (var stream in settings.Streams)
        {
            console.MarkupLine($"purged {await store.PurgeAsync(stream)} dead letter(s) of {Markup.Escape(store.KeyOf(stream).ToString())}");
        }

        return ExitCodes.Ok;
    }
}
