using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Telemetry;

namespace StreamRag.Cli.Commands;

public sealed class AskSettings : TenantQuerySettings
{
    [CommandArgument(0, "<QUESTION>")]
    public string Question { get; init; } = "";

    [CommandOption("-k <K>")]
    [Description("passages to return, 1 to 100")]
    [DefaultValue(5)]
    public int K { get; init; } = 5;

    [CommandOption("--search")]
    [Description("ranked passages only (mode search); the default asks for an answer with citations")]
    public bool SearchOnly { get; init; }

    [CommandOption("--ef <EF>")]
    [Description("search effort for this query (default: the live setting)")]
    public int? Ef { get; init; }

    [CommandOption("--timeout <DURATION>")]
    [DefaultValue("10s")]
    public string Timeout { get; init; } = "10s";

    [CommandOption("--json")]
    [Description("print the reply as JSON, with the measured round trip")]
    public bool Json { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Question))
        {
            return ValidationResult.Error("the question is empty");
        }

        return K is < 1 or > 100 ? ValidationResult.Error($"-k must be 1 to 100, not {K}") : base.Validate();
    }
}

/// <summary><c>streamrag ask "question"</c>: one query through the fleet, printed with its citations and timings.</summary>
public sealed class AskCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<AskSettings>(environment)
{
    protected override async Task<int> RunAsync(AskSettings settings, CancellationToken cancellationToken)
    {
        var timeout = OptionValues.Duration("--timeout", settings.Timeout);
        var wait = OptionValues.Duration("--wait-fleet", settings.WaitFleet);
        await using var session = await CliSession.OpenAsync(settings);
        await FleetPresence.WaitForLiveConsumerAsync(session.Db, session.Keys.QueryRequests, session.Keys.QueryGroup, "query worker", wait, Environment.Time, cancellationToken);
        await using var client = new StreamRagClient(session.Redis, session.Keys, Environment.Time) { Token = settings.TokenOrEnvironment };
        var options = new QueryOptions
        {
            K = settings.K,
            Mode = settings.SearchOnly ? QueryMode.Search : QueryMode.Answer,
            Tenant = settings.Tenant,
            Ef = settings.Ef,
            Timeout = timeout,
            Filters = settings.Filters(),
        };

        var started = Stopwatch.GetTimestamp();
        QueryReply reply;
        // Started by hand, not through the ActivitySource: nothing listens in this process, and the
        // request should still carry a traceparent, so the worker's spans (and its reply's trace_id)
        // belong to one trace an operator can look up by the id printed below.
        using var trace = new Activity(SpanNames.CliAsk).SetIdFormat(ActivityIdFormat.W3C).Start();
        try
        {
            reply = await client.QueryAsync(settings.Question, options, cancellationToken);
        }
        catch (QueryTimeoutException ex)
        {
            throw new CliException(ExitCodes.Incomplete, $"{ex.Message}: the query workers are busy or stopped (streamrag status)");
        }

        var roundTrip = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new AskOutput(roundTrip, reply), CliJson.Options));
        }
        else if (reply.Status == QueryReply.StatusOk)
        {
            Render(reply, roundTrip);
        }

        if (reply.Error is { } error)
        {
            Environment.Error.WriteLine($"streamrag: the query failed: {error.Code}: {error.Message}");
            return ExitCodes.Incomplete;
        }

        return ExitCodes.Ok;
    }

    private void Render(QueryReply reply, double roundTrip)
    {
        if (reply.Answer is { } answer)
        {
            console.Write(new Panel(Markup.Escape(answer.Text)).Header("answer").Border(BoxBorder.Rounded).Expand());
            console.MarkupLine($"[bold]citations:[/] {Markup.Escape(answer.Citations.Count == 0 ? "none" : string.Join(", ", answer.Citations))}");
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn(new TableColumn("passage").NoWrap()).AddColumn(new TableColumn("score").RightAligned()).AddColumn("source").AddColumn("text");
        var rank = 0;
        foreach (var r in reply.Results)
        {
            var text = r.Content.ReplaceLineEndings(" ");
            table.AddRow(
                (++rank).ToString(CultureInfo.InvariantCulture),
                Markup.Escape($"{r.Id}#{r.Chunk}"),
                r.Score.ToString("0.000", CultureInfo.InvariantCulture),
                Markup.Escape(r.Source),
                Markup.Escape(text.Length > 100 ? text[..100] + "…" : text));
        }

        console.Write(reply.Results.Count == 0 ? new Markup("[yellow]no passage found[/]\n") : table);
        var t = reply.Timings;
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"round trip {roundTrip:0.0} ms · worker {t.TotalMs:0.0} ms (queue {(t.QueueMs is { } q ? q.ToString("0.0", CultureInfo.InvariantCulture) : "?")}, embed {t.EmbedMs:0.0}, search {t.SearchMs:0.0}) · cache {Markup.Escape(reply.Cache)}{(reply.TraceId is { } id ? $" · trace {id}" : "")}"));
    }

    /// <summary>The <c>--json</c> output: the reply as the worker sent it, and the round trip this client measured.</summary>
    public sealed record AskOutput(double RoundTripMs, QueryReply Reply);
}
