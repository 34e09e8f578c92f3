using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterShowCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<DeadLetterShowSettings>(environment)
{
    protected override async Task<int> RunAsync(DeadLetterShowSettings settings, CancellationToken cancellationToken)
    {
        await using var session = await CliSession.OpenAsync(settings);
        var d = await DeadLetterLookup.OneAsync(new DeadLetterStore(session.Db, session.Keys), settings.Id, settings.Streams);
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(DeadLetterView.Json(d), CliJson.Options));
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded).Title($"dead letter {Markup.Escape(d.Id)} ({d.Stream.ToString().ToLowerInvariant()})").AddColumn("field").AddColumn("value");
        table.AddRow("reason", Markup.Escape(d.Reason));
        table.AddRow("original id", Markup.Escape(d.OriginalId ?? ""));
        table.AddRow("deliveries", d.Deliveries.ToString(CultureInfo.InvariantCulture));
        table.AddRow("consumer", Markup.Escape(d.Consumer ?? ""));
        table.AddRow("at (UTC)", DeadLetterView.Time(d.At));
        foreach (var field in d.Original)
        {
            var text = DeadLetterView.Text(field.Value);
            table.AddRow(Markup.Escape((string)field.Name!), Markup.Escape(text.Length > 2_000 ? text[..2_000] + "…" : text));
        }

        console.Write(table);
        return ExitCodes.Ok;
    }
}
