using System.ComponentModel;
using Spectre.Console.Cli;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterPurgeSettings : DeadLetterSettings
{
    [CommandOption("--yes")]
    [Description("really delete them")]
    public bool Yes { get; init; }
}
