using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace StreamRag.Cli.Commands;

public sealed class ReshardSettings : IndexSettings
{
    [CommandOption("--to <N>")]
    [Description("the shard count to take every tenant's index to (1 to 1024)")]
    public int To { get; init; }

    public override ValidationResult Validate() =>
        To is < 1 or > StreamRag.Redis.RedisOptions.MaxShards
            ? ValidationResult.Error("--to: give the shard count to change to, 1 to 1024 (e.g. --to 3)")
            : base.Validate();
}
