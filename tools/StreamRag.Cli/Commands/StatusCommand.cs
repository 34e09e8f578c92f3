using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

public sealed class StatusSettings : GlobalSettings
{
    [CommandOption("--json")]
    [Description("print the status as JSON")]
    public bool Json { get; init; }
}

/// <summary><c>streamrag status</c>: what <see cref="FleetStatusReader"/> reads, as tables.</summary>
public sealed class StatusCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<StatusSettings>(environment)
{
    protected override async Task<int> RunAsync(StatusSettings settings, CancellationToken cancellationToken)
    {
        await using var session = await CliSession.OpenAsync(settings);
        var status = await new FleetStatusReader(session.Connections, session.Keys).ReadAsync(cancellationToken);
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(status, CliJson.Options));
            return ExitCodes.Ok;
        }

        static string N(long v) => v.ToString("#,0", CultureInfo.InvariantCulture);
        static string MiB(long bytes) => (bytes / 1048576.0).ToString("#,0.0", CultureInfo.InvariantCulture) + " MiB";

        var overview = new Table().Border(TableBorder.Rounded).Title($"StreamRag '{Markup.Escape(status.Prefix)}' on Redis {Markup.Escape(status.RedisVersion)}")
            .AddColumn(new TableColumn("").NoWrap()).AddColumn("").HideHeaders();
        overview.AddRow("index engine", Markup.Escape(status.Index.Engine ?? "none yet (no host has started under this prefix)"));
        overview.AddRow("embedding model", Markup.Escape(status.Index.Model ?? "not recorded"));
        overview.AddRow("index size", $"{N(status.Index.Vectors)} passages, {status.Index.Tenants} tenant(s), {MiB(status.Index.MemoryBytes)}");
        if (status.Index.Layout.Length > 0)
        {
            overview.AddRow("index layout", Markup.Escape(status.Index.Layout));
        }
        overview.AddRow("memory", status.MaxMemoryBytes > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{MiB(status.UsedMemoryBytes)} of {MiB(status.MaxMemoryBytes)} ({(double)status.UsedMemoryBytes / status.MaxMemoryBytes:P0})")
            : $"{MiB(status.UsedMemoryBytes)} (no maxmemory)");
        overview.AddRow("search EF", status.SearchEf is { } ef ? N(ef) : "not set (Index:DefaultEf)");
        overview.AddRow("monitor", status.MonitorEvaluatedAt is { } at ? $"last evaluation {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "[yellow]no monitor has run[/]");
        console.Write(overview);

        var streams = new Table().Border(TableBorder.Rounded).Title("streams")
            .AddColumn(new TableColumn("stream").NoWrap()).AddColumn(new TableColumn("length").RightAligned()).AddColumn("group")
            .AddColumn(new TableColumn("lag").RightAligned()).AddColumn(new TableColumn("pending").RightAligned()).AddColumn(new TableColumn("consumers (live)").RightAligned().NoWrap());
        foreach (var s in status.Streams)
        {
            var g = s.Group;
            streams.AddRow(
                Markup.Escape(s.Stream),
                N(s.Length),
                g is null ? "" : g.Exists ? Markup.Escape(g.Name) : $"[yellow]{Markup.Escape(g.Name)}: none[/]",
                g?.Lag is { } lag ? N(lag) : "",
                g is { Exists: true } ? N(g.Pending) : "",
                g is { Exists: true } ? $"{g.Consumers} ({(g.Live == 0 ? "[red]0[/]" : g.Live.ToString(CultureInfo.InvariantCulture))})" : "");
        }

        foreach (var (stream, count) in status.DeadLetters)
        {
            streams.AddRow(Markup.Escape(stream), count > 0 ? $"[red]{N(count)}[/]" : "0", "dead letters", "", "", "");
        }

        console.Write(streams);
        if (status.Alerts.Count == 0)
        {
            console.MarkupLine("[green]no alert firing[/]");
            return ExitCodes.Ok;
        }

        var alerts = new Table().Border(TableBorder.Rounded).Title("alerts firing")
            .AddColumn("rule").AddColumn("subject").AddColumn("severity").AddColumn("since").AddColumn("summary");
        foreach (var a in status.Alerts)
        {
            alerts.AddRow(Markup.Escape(a.Rule), Markup.Escape(a.Subject), Markup.Escape(a.Severity ?? ""),
                a.Since is { } since ? since.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) : "", Markup.Escape(a.Summary ?? ""));
        }

        console.Write(alerts);
        return ExitCodes.Ok;
    }
}
