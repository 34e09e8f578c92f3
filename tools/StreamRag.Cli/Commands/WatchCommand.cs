using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Client;
using StreamRag.Contracts;

namespace StreamRag.Cli.Commands;

public sealed class WatchSettings : TenantQuerySettings
{
    [CommandArgument(0, "<QUESTION>")]
    public string Question { get; init; } = "";

    [CommandOption("--threshold <SCORE>")]
    [Description("the least score (0 to 1, the reply's scale) a new passage needs to be printed")]
    public double? Threshold { get; init; }

    [CommandOption("--ttl <DURATION>")]
    [Description("how long the watch lives (at most 30 days); it is removed when the command stops")]
    [DefaultValue("1h")]
    public string Ttl { get; init; } = "1h";

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Question))
        {
            return ValidationResult.Error("the question is empty");
        }

        return Threshold is not (>= 0 and <= 1) ? ValidationResult.Error("--threshold is required: a score from 0 to 1") : base.Validate();
    }
}

/// <summary>
/// <c>streamrag watch "question" --threshold 0.6</c>: registers a standing query and prints each new
/// passage that matches it as it is indexed, until Ctrl-C, which removes the watch.
/// </summary>
public sealed class WatchCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<WatchSettings>(environment)
{
    protected override async Task<int> RunAsync(WatchSettings settings, CancellationToken cancellationToken)
    {
        var ttl = OptionValues.Duration("--ttl", settings.Ttl);
        var wait = OptionValues.Duration("--wait-fleet", settings.WaitFleet);
        await using var session = await CliSession.OpenAsync(settings);
        await FleetPresence.WaitForLiveConsumerAsync(session.Db, session.Keys.QueryRequestStreams[0].Stream, session.Keys.QueryGroup, "query worker", wait, Environment.Time, cancellationToken);
        await using var client = new StreamRagClient(session.Redis, session.Keys, Environment.Time) { Token = settings.TokenOrEnvironment };
        var options = new WatchQueryOptions
        {
            Threshold = settings.Threshold!.Value,
            Ttl = ttl,
            Tenant = settings.Tenant,
            Filters = settings.Filters(),
        };

        WatchConfirmation watch;
        try
        {
            watch = await client.RegisterWatchAsync(settings.Question, options, cancellationToken);
        }
        catch (WatchException ex)
        {
            throw new CliException(ExitCodes.Incomplete, $"the watch was refused: {ex.Message}");
        }

        console.MarkupLine(CultureInfo.InvariantCulture, $"[grey]watch {Markup.Escape(watch.Id)} on {Markup.Escape(watch.NotifyTo ?? "")}, until {watch.ExpiresAt:u}; Ctrl-C stops[/]");
        try
        {
            await foreach (var n in client.WatchAsync(settings.Question, options with { WatchId = watch.Id, NotifyTo = watch.NotifyTo, After = "0-0" }, cancellationToken))
            {
                console.MarkupLine(CultureInfo.InvariantCulture,
                    $"[bold]{n.Score:0.000}[/]  {Markup.Escape(n.DocumentId)}#{n.Chunk} v{n.Version}  [grey]{Markup.Escape(n.Source)}[/]  {Markup.Escape(Shorten(n.Content))}");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C: remove the watch below, then report the cancellation as usual.
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await client.UnwatchAsync(watch.Id, settings.Tenant, cancellationToken: cleanup.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or QueryTimeoutException or WatchException)
            {
                // It expires by itself at its ttl.
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return ExitCodes.Ok;
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : string.Concat(text.AsSpan(0, 157), "...");
}
