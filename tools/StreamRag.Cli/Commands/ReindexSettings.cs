using System.ComponentModel;
using Spectre.Console.Cli;

namespace StreamRag.Cli.Commands;

public sealed class ReindexSettings : IndexSettings
{
    [CommandOption("--check")]
    [Description("only show the index behind the alias and how it differs from the configuration")]
    public bool Check { get; init; }
}
