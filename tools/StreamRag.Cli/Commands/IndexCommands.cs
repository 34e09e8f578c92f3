using System.Collections;
using System.ComponentModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Admin;
using StreamRag.Index;
using StreamRag.Settings;

namespace StreamRag.Cli.Commands;

public class IndexSettings : GlobalSettings
{
    [CommandOption("--index <KEY=VALUE>")]
    [Description("an Index setting of the configured schema, e.g. --index M=32 (repeatable; Index__* environment variables apply too)")]
    public string[] Index { get; init; } = [];

    /// <summary>The Index section as the hosts would read it: <c>Index__*</c> variables, then the <c>--index</c> pairs.</summary>
    public IndexOptions IndexOptions()
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry variable in System.Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("Index__", StringComparison.OrdinalIgnoreCase))
            {
                values[name.Replace("__", ":", StringComparison.Ordinal)] = variable.Value as string;
            }
        }

        foreach (var pair in Index)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw CliException.Usage($"--index: '{pair}' is not KEY=VALUE (e.g. M=32, Search:Algorithm=FLAT)");
            }

            values[$"Index:{pair[..equals]}"] = pair[(equals + 1)..];
        }

        try
        {
            var options = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(StreamRag.Index.IndexOptions.Section).GetStrictly<IndexOptions>();
            var validation = new IndexOptionsValidator().Validate(null, options);
            return validation.Failed ? throw CliException.Usage($"--index: {validation.FailureMessage}") : options;
        }
        catch (OptionsValidationException ex)
        {
            throw CliException.Usage($"--index: {ex.Message}");
        }
    }
}

public sealed class ReindexSettings : IndexSettings
{
    [CommandOption("--check")]
    [Description("only show the index behind the alias and how it differs from the configuration")]
    public bool Check { get; init; }
}

public sealed class MigrateSettings : IndexSettings
{
    [CommandOption("--timeout <DURATION>")]
    [Description("how long the new index may take to build")]
    [DefaultValue("1h")]
    public string Timeout { get; init; } = "1h";
}

/// <summary><c>streamrag reindex</c>: <see cref="SearchIndexCommands.CreateAsync"/> (or <c>StatusAsync</c> with --check), as <c>StreamRag.IndexAdmin create</c> / <c>status</c>.</summary>
public sealed class ReindexCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<ReindexSettings>(environment)
{
    protected override async Task<int> RunAsync(ReindexSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.IndexOptions();
        await using var session = await CliSession.OpenAsync(settings);
        var commands = new SearchIndexCommands(session.Db, session.Keys, options, console.Profile.Out.Writer, Environment.Time);
        return settings.Check ? await commands.StatusAsync(cancellationToken) : await commands.CreateAsync(cancellationToken);
    }
}

/// <summary><c>streamrag migrate</c>: <see cref="SearchIndexCommands.MigrateAsync"/>, as <c>StreamRag.IndexAdmin migrate</c>.</summary>
public sealed class MigrateCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<MigrateSettings>(environment)
{
    protected override async Task<int> RunAsync(MigrateSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.IndexOptions();
        var timeout = OptionValues.Duration("--timeout", settings.Timeout);
        await using var session = await CliSession.OpenAsync(settings);
        var commands = new SearchIndexCommands(session.Db, session.Keys, options, console.Profile.Out.Writer, Environment.Time);
        return await commands.MigrateAsync(timeout, cancellationToken);
    }
}

public sealed class ReshardSettings : IndexSettings
{
    [CommandOption("--to <N>")]
    [Description("the shard count to take every tenant's index to (1 to 1024)")]
    public int To { get; init; }

    public override ValidationResult Validate() =>
        To is < 1 or > StreamRag.Redis.RedisOptions.MaxShards
            ? ValidationResult.Error("--to: give the shard count to change to, 1 to 1024 (e.g. --to 3)")
            : base.Validate();
}

/// <summary>
/// <c>streamrag reshard --to M</c>: <see cref="ShardCountChange"/>, while the fleet runs. Exit 0 when
/// finished, 1 when it stopped short (what is left is printed; running it again goes on). After an
/// interruption, running it again with M resumes the change, with the old count rolls it back (before
/// the switch); it prints which it did.
/// </summary>
public sealed class ReshardCommand(IAnsiConsole console, CliEnvironment environment) : CliCommand<ReshardSettings>(environment)
{
    protected override async Task<int> RunAsync(ReshardSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.IndexOptions();
        await using var session = await CliSession.OpenAsync(settings);
        var output = console.Profile.Out.Writer;
        try
        {
            var report = await new ShardCountChange(session.Connections, session.Keys, options, Environment.Time, output).RunAsync(settings.To, cancellationToken);
            await output.WriteLineAsync(report.Summary);
            return report.Finished ? ExitCodes.Ok : ExitCodes.Incomplete;
        }
        catch (ShardCountChangeException ex)
        {
            throw new CliException(ExitCodes.Incomplete, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Cancelled, Interrupted(settings.To, "stopped"));
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException)
        {
            throw new CliException(ExitCodes.RedisUnreachable, Interrupted(settings.To, $"lost Redis at {settings.RedisConfiguration}: {ex.Message.Split('\n')[0].TrimEnd('\r')}"));
        }
    }

    // Every step is recorded in the manifest before it is taken, so an interruption leaves nothing to repair by hand.
    private static string Interrupted(int shards, string what) =>
        $"{what} during the change; the manifest records the step it reached: run `streamrag reshard --to {shards}` again to resume it, or with the old shard count to roll it back (before the switch)";
}
