using Spectre.Console;
using StreamRag.Cli;

// `streamrag`: see docs/cli.md. Ctrl-C cancels the command's token; the command stops and prints
// what it did so far.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C stops cleanly; a second one kills the process as usual.
    e.Cancel = !stop.IsCancellationRequested;
    stop.Cancel();
};

return await StreamRagCli.RunAsync(args, AnsiConsole.Console, Console.Error, stop.Token);
