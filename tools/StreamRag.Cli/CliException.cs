namespace StreamRag.Cli;

/// <summary>An error the CLI reports as one line on standard error, with its exit code; never a stack trace.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);
}
