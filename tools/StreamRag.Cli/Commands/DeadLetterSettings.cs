using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

public class DeadLetterSettings : GlobalSettings
{
    [CommandOption("--stream <STREAM>")]
    [Description("documents, queries or both")]
    [DefaultValue("both")]
    public string Stream { get; init; } = "both";

    public IReadOnlyList<DeadLetterStream> Streams => Stream switch
    {
        "documents" or "docs" => [DeadLetterStream.Documents],
        "queries" => [DeadLetterStream.Queries],
        _ => DeadLetterStore.Both,
    };

    public override ValidationResult Validate() =>
        Stream is "documents" or "docs" or "queries" or "both" ? base.Validate() : ValidationResult.Error($"--stream must be documents, queries or both, not '{Stream}'");
}
