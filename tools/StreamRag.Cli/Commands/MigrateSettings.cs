using System.ComponentModel;
using Spectre.Console.Cli;

namespace StreamRag.Cli.Commands;

public sealed class MigrateSettings : IndexSettings
{
    [CommandOption("--timeout <DURATION>")]
    [Description("how long the new index may take to build")]
    [DefaultValue("1h")]
    public string Timeout { get; init; } = "1h";
}
