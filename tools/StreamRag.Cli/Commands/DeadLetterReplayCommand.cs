using Spectre.Console;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterReplayCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<DeadLetterReplaySettings>(environment)
{
    protected override async Task<int> RunAsync(DeadLetterReplaySettings settings, CancellationToken cancellationToken)
    {
        await using var session = await CliSession.OpenAsync(settings);
        var store = new DeadLetterStore(session.Db, session.Keys);
        if (settings.Id is { } id)
        {
            var letter = await DeadLetterLookup.OneAsync(store, id, settings.Streams);
            var posted = await store.ReplayAsync(letter) ?? throw new CliException(ExitCodes.Incomplete, $"dead letter {id} was removed meanwhile; nothing replayed");
            console.MarkupLine($"replayed {Markup.Escape(id)} to {Markup.Escape(store.SourceOf(letter.Stream).ToString())} as {Markup.Escape(posted)}");
            return ExitCodes.Ok;
        }

        foreach (var stream in settings.Streams)
        {
            var replayed = 0;
            await foreach (var letter in store.AllAsync(stream).WithCancellation(cancellationToken))
            {
                replayed += await store.ReplayAsync(letter) is null ? 0 : 1;
            }

            console.MarkupLine($"replayed {replayed} dead letter(s) of {Markup.Escape(store.KeyOf(stream).ToString())} to {Markup.Escape(store.SourceOf(stream).ToString())}");
        }

        return ExitCodes.Ok;
    }
}
