using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Client;
using StreamRag.Ingest;

namespace StreamRag.Cli.Commands;

public sealed class IngestSettings : TenantTokenSettings
{
    [CommandArgument(0, "<PATH>")]
    [Description("files and folders: .md, .txt (one document each, id = path relative to the folder) and .jsonl (one document per line)")]
    public string[] Paths { get; init; } = [];

    [CommandOption("--tenant <TENANT>")]
    [DefaultValue("default")]
    public string Tenant { get; init; } = "default";

    [CommandOption("--source <SOURCE>")]
    [Description("source of documents whose entry names none")]
    [DefaultValue("cli")]
    public string Source { get; init; } = "cli";

    [CommandOption("--tags <TAGS>")]
    [Description("comma-separated tags for every document")]
    public string? Tags { get; init; }

    [CommandOption("--ttl <DURATION>")]
    [Description("expire documents this long after they are posted (90s, 30m, 12h, 7d)")]
    public string? Ttl { get; init; }

    [CommandOption("--force")]
    [Description("post every document, even unchanged ones")]
    public bool Force { get; init; }

    [CommandOption("--wait-fleet <DURATION>")]
    [Description("how long to wait for a live embedder before giving up")]
    [DefaultValue("10s")]
    public string WaitFleet { get; init; } = "10s";

    [CommandOption("--stall-timeout <DURATION>")]
    [Description("give up when nothing becomes searchable for this long")]
    [DefaultValue("60s")]
    public string StallTimeout { get; init; } = "60s";

    [CommandOption("--json")]
    [Description("print the summary as JSON (no progress display)")]
    public bool Json { get; init; }
}

/// <summary><c>streamrag ingest PATH…</c>: see <see cref="Ingestor"/>.</summary>
public sealed class IngestCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<IngestSettings>(environment)
{
    /// <summary>Failures listed in the summary at most (all are in <c>--json</c>).</summary>
    public const int FailuresShown = 20;

    protected override async Task<int> RunAsync(IngestSettings settings, CancellationToken cancellationToken)
    {
        var options = new IngestOptions
        {
            Tenant = settings.Tenant,
            Source = settings.Source,
            Tags = OptionValues.List(settings.Tags),
            Ttl = settings.Ttl is null ? null : OptionValues.Duration("--ttl", settings.Ttl),
            Force = settings.Force,
            StallTimeout = OptionValues.Duration("--stall-timeout", settings.StallTimeout),
        };
        var wait = OptionValues.Duration("--wait-fleet", settings.WaitFleet);
        var files = IngestSources.Resolve(settings.Paths);
        await using var session = await CliSession.OpenAsync(settings);
        await FleetPresence.WaitForLiveConsumerAsync(session.Db, session.Keys.DocumentEvents, session.Keys.EmbedderGroup, "embedder", wait, Environment.Time, cancellationToken);
        await using var client = new StreamRagClient(session.Redis, session.Keys, Environment.Time) { Token = settings.TokenOrEnvironment };
        var ingestor = new Ingestor(session.Redis, session.Keys, client, Environment.Time);

        IngestSummary summary;
        if (settings.Json)
        {
            summary = await ingestor.RunAsync(files, options, null, cancellationToken);
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(summary, CliJson.Options));
        }
        else if (!console.Profile.Capabilities.Interactive)
        {
            // Output to a file or a pipe: a live display would leave only its first frame there.
            summary = await ingestor.RunAsync(files, options, null, cancellationToken);
            Render(summary);
        }
        else
        {
            summary = await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var posted = progress.AddTask("posted");
                    var searchable = progress.AddTask("searchable");
                    var updates = new SynchronousProgress<IngestProgress>(p => Show(p, posted, searchable));
                    return await ingestor.RunAsync(files, options, updates, cancellationToken);
                });
            Render(summary);
        }

        if (summary.Cancelled)
        {
            Environment.Error.WriteLine("streamrag: stopped; the summary above is what was done so far");
            return ExitCodes.Cancelled;
        }

        return summary.Complete ? ExitCodes.Ok : ExitCodes.Incomplete;
    }

    private static void Show(IngestProgress p, ProgressTask posted, ProgressTask searchable)
    {
        // Skipped and refused documents count as done on both bars.
        var max = Math.Max(1, p.Total);
        posted.MaxValue = max;
        searchable.MaxValue = max;
        posted.Value = p.Posted + p.Skipped + p.Rejected;
        searchable.Value = p.Settled + p.Skipped + p.Rejected;
        posted.Description = string.Create(CultureInfo.InvariantCulture, $"posted {p.Posted}/{p.Total} (unchanged {p.Skipped}, refused {p.Rejected})");
        searchable.Description = string.Create(CultureInfo.InvariantCulture, $"searchable {p.Searchable} (dead letters {p.DeadLettered}), {p.Passages} passages");
    }

    private void Render(IngestSummary s)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("ingest").AddColumn(new TableColumn("").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        string N(double v) => v.ToString("#,0.#", CultureInfo.InvariantCulture);
        Row("files", N(s.Files));
        Row("documents found", N(s.Total));
        Row("unchanged (skipped)", N(s.Skipped));
        Row("refused before posting", N(s.Rejected));
        Row("posted", N(s.Posted));
        Row("searchable", N(s.Searchable));
        Row("dead letters", N(s.DeadLettered));
        Row("not yet searchable", N(s.Unsettled));
        Row("passages", N(s.Passages));
        Row("elapsed", string.Create(CultureInfo.InvariantCulture, $"{s.Elapsed.TotalSeconds:0.00} s"));
        Row("passages/s", N(s.PassagesPerSecond));
        console.Write(table);
        foreach (var failure in s.Failures.Take(FailuresShown))
        {
            var where = failure.DeadLetterId is { } id ? $"dead letter {id}" : failure.Origin;
            console.MarkupLine($"[red]✗[/] {Markup.Escape(failure.Id)} ({Markup.Escape(where)}): {Markup.Escape(failure.Reason)}");
        }

        if (s.Failures.Count > FailuresShown)
        {
            console.MarkupLine($"… and {s.Failures.Count - FailuresShown} more (--json lists all; streamrag dlq list shows the dead letters)");
        }

        if (s.Stalled)
        {
            console.MarkupLine("[yellow]Stopped waiting: nothing became searchable for --stall-timeout. Is the embedder running and keeping up? (streamrag status)[/]");
        }
    }

    /// <summary>Reports on the caller's thread: Spectre redraws from its own loop, so no marshalling is needed.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
