using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace StreamRag.Cli.Commands;

public sealed class DeadLetterListSettings : DeadLetterSettings
{
    [CommandOption("-n|--count <N>")]
    [Description("newest entries per stream")]
    [DefaultValue(20)]
    public int Count { get; init; } = 20;

    [CommandOption("--json")]
    public bool Json { get; init; }

    public override ValidationResult Validate() => Count < 1 ? ValidationResult.Error("--count must be at least 1") : base.Validate();
}
