using Spectre.Console.Cli;
using StackExchange.Redis;
using StreamRag.Admin;
using StreamRag.Client;
using StreamRag.Ingest;

namespace StreamRag.Cli;

/// <summary>
/// Base of every command: turns the errors a user can cause or meet (bad path, Redis down, no fleet,
/// Ctrl-C) into one line on standard error and an exit code, never a stack trace.
/// </summary>
public abstract class CliCommand<TSettings>(CliEnvironment environment) : AsyncCommand<TSettings>
    where TSettings : GlobalSettings
{
    protected CliEnvironment Environment { get; } = environment;

    public sealed override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Environment.Cancellation);
        try
        {
            return await RunAsync(settings, linked.Token);
        }
        catch (CliException ex)
        {
            return Fail(ex.ExitCode, ex.Message);
        }
        catch (IngestPathException ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }
        catch (FleetNotRunningException ex)
        {
            return Fail(ExitCodes.NoFleet, ex.Message);
        }
        catch (QueryEngineUnavailableException ex)
        {
            return Fail(ExitCodes.Incomplete, ex.Message);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            return Fail(ExitCodes.RedisUnreachable, $"lost Redis at {settings.RedisConfiguration}: {ex.Message.Split('\n')[0].TrimEnd('\r')}");
        }
        catch (RedisServerException ex)
        {
            return Fail(ExitCodes.Incomplete, $"Redis refused a command: {ex.Message}");
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            return Fail(ExitCodes.Cancelled, "stopped");
        }
    }

    protected abstract Task<int> RunAsync(TSettings settings, CancellationToken cancellationToken);

    private int Fail(int code, string message)
    {
        Environment.Error.WriteLine($"streamrag: {message}");
        return code;
    }
}

/// <summary>What commands get from the process (or from a test): standard error, Ctrl-C, the clock.</summary>
public sealed class CliEnvironment(TextWriter error, TimeProvider time, CancellationToken cancellation)
{
    public TextWriter Error { get; } = error;

    public CancellationToken Cancellation { get; } = cancellation;

    public TimeProvider Time { get; } = time;
}
