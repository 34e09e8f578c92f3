using Spectre.Console;
using StreamRag.Index;

namespace StreamRag.Cli.Commands;

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
