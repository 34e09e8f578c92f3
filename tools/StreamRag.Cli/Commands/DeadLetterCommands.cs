using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using StackExchange.Redis;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

public class DeadLetterSettings : GlobalSettings
{
    [CommandOption("--stream <STREAM>")]
    [Description("documents, queries or both")]
    [DefaultValue("both")]
    public string Stream { get; init; } = "both";

    public IReadOnlyList<DeadLetterStream> Streams => Stream switch
    {
        "documents" or "docs" => [DeadLetterStream.Documents],
        "queries" => [DeadLetterStream.Queries],
        _ => DeadLetterStore.Both,
    };

    public override ValidationResult Validate() =>
        Stream is "documents" or "docs" or "queries" or "both" ? base.Validate() : ValidationResult.Error($"--stream must be documents, queries or both, not '{Stream}'");
}

public sealed class DeadLetterListSettings : DeadLetterSettings
{
    [CommandOption("-n|--count <N>")]
    [Description("newest entries per stream")]
    [DefaultValue(20)]
    public int Count { get; init; } = 20;

    [CommandOption("--json")]
    public bool Json { get; init; }

    public override ValidationResult Validate() => Count < 1 ? ValidationResult.Error("--count must be at least 1") : base.Validate();
}

public sealed class DeadLetterShowSettings : DeadLetterSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("the dead letter's entry id (as dlq list shows it)")]
    public string Id { get; init; } = "";

    [CommandOption("--json")]
    public bool Json { get; init; }
}

public sealed class DeadLetterReplaySettings : DeadLetterSettings
{
    [CommandArgument(0, "[ID]")]
    public string? Id { get; init; }

    [CommandOption("--all")]
    [Description("replay every dead letter of --stream")]
    public bool All { get; init; }

    public override ValidationResult Validate() => (Id is null) == All ? base.Validate() : ValidationResult.Error("give a dead letter's ID or --all (not both)");
}

public sealed class DeadLetterPurgeSettings : DeadLetterSettings
{
    [CommandOption("--yes")]
    [Description("really delete them")]
    public bool Yes { get; init; }
}

/// <summary>Dead letters as JSON and tables (the original fields as text, or base64 when they are not UTF-8).</summary>
internal static class DeadLetterView
{
    public static object Json(DeadLetter d) => new
    {
        stream = d.Stream,
        id = d.Id,
        original_id = d.OriginalId,
        reason = d.Reason,
        deliveries = d.Deliveries,
        consumer = d.Consumer,
        at = d.At,
        fields = d.Original.ToDictionary(f => (string)f.Name!, f => Text(f.Value), StringComparer.Ordinal),
    };

    public static string Text(RedisValue value)
    {
        var bytes = (byte[]?)value ?? [];
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return "base64:" + Convert.ToBase64String(bytes);
        }
    }

    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "";
}

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

/// <summary>The one dead letter an id names within --stream; none or one in each stream is a clear error.</summary>
internal static class DeadLetterLookup
{
    public static async Task<DeadLetter> OneAsync(DeadLetterStore store, string id, IReadOnlyList<DeadLetterStream> streams)
    {
        var found = await store.FindAsync(id, streams);
        return found.Count switch
        {
            1 => found[0],
            0 => throw new CliException(ExitCodes.Incomplete, $"no dead letter {id} in {(streams.Count == 1 ? $"the {streams[0].ToString().ToLowerInvariant()} dead-letter stream" : "either dead-letter stream")}"),
            _ => throw CliException.Usage($"dead letter {id} is in both dead-letter streams (ids are per stream); add --stream documents or --stream queries"),
        };
    }
}
