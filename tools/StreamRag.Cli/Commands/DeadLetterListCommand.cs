using System.Text.Json;
using Spectre.Console;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterListCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<DeadLetterListSettings>(environment)
{
    protected override async Task<int> RunAsync(DeadLetterListSettings settings, CancellationToken cancellationToken)
    {
        await using var session = await CliSession.OpenAsync(settings);
        var store = new DeadLetterStore(session.Db, session.Keys);
        var letters = new List<DeadLetter>();
        foreach (var stream in settings.Streams)
        {
            letters.AddRange(await store.ListAsync(stream, settings.Count));
        }

        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(letters.Select(DeadLetterView.Json), CliJson.Options));
            return ExitCodes.Ok;
        }

        foreach (var stream in settings.Streams)
        {
            var total = await store.CountAsync(stream);
            var table = new Table().Border(TableBorder.Rounded).Title($"{Markup.Escape(store.KeyOf(stream).ToString())}: {total} dead letter(s)")
                .AddColumn("id").AddColumn("at (UTC)").AddColumn("original").AddColumn("document / request").AddColumn("reason");
            foreach (var d in letters.Where(l => l.Stream == stream))
            {
                var subject = d.Original.FirstOrDefault(f => f.Name == "id").Value;
                table.AddRow(Markup.Escape(d.Id), DeadLetterView.Time(d.At), Markup.Escape(d.OriginalId ?? ""), Markup.Escape(DeadLetterView.Text(subject)), Markup.Escape(d.Reason));
            }

            console.Write(table);
        }

        return ExitCodes.Ok;
    }
}
