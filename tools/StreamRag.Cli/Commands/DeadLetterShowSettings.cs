using System.ComponentModel;
using Spectre.Console.Cli;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterShowSettings : DeadLetterSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("the dead letter's entry id (as dlq list shows it)")]
    public string Id { get; init; } = "";

    [CommandOption("--json")]
    public bool Json { get; init; }
}
