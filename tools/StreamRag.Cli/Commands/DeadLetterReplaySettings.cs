using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterReplaySettings : DeadLetterSettings
{
    [CommandArgument(0, "[ID]")]
    public string? Id { get; init; }

    [CommandOption("--all")]
    [Description("replay every dead letter of --stream")]
    public bool All { get; init; }

    public override ValidationResult Validate() => (Id is null) == All ? base.Validate() : ValidationResult.Error("give a dead letter's ID or --all (not both)");
}
