using System.ComponentModel;
using Spectre.Console.Cli;

namespace StreamRag.Cli;

/// <summary>Options of the commands that post to the fleet as a tenant (<c>ask</c>, <c>ingest</c>, <c>watch</c>): its signed token.</summary>
public class TenantTokenSettings : GlobalSettings
{
    public const string TokenVariable = "STREAMRAG_TOKEN";

    [CommandOption("--token <TOKEN>")]
    [Description("signed tenant token, when the fleet requires tokens (docs/security.md); default $" + TokenVariable)]
    public string? Token { get; init; }

    public string? TokenOrEnvironment => Token ?? (System.Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } t ? t : null);
}
