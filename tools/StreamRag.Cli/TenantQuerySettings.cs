using System.ComponentModel;
using Spectre.Console.Cli;
using StreamRag.Contracts;

namespace StreamRag.Cli;

/// <summary>Options of the commands that ask the query workers (<c>ask</c>, <c>watch</c>): the tenant, the filters and how long to wait for a worker.</summary>
public class TenantQuerySettings : TenantTokenSettings
{
    [CommandOption("--tenant <TENANT>")]
    [DefaultValue("default")]
    public string Tenant { get; init; } = "default";

    [CommandOption("--sources <SOURCES>")]
    [Description("only documents from one of these comma-separated sources")]
    public string? Sources { get; init; }

    [CommandOption("--tags-any <TAGS>")]
    [Description("only documents with at least one of these tags")]
    public string? TagsAny { get; init; }

    [CommandOption("--tags-all <TAGS>")]
    [Description("only documents with every one of these tags")]
    public string? TagsAll { get; init; }

    [CommandOption("--wait-fleet <DURATION>")]
    [Description("how long to wait for a live query worker before giving up")]
    [DefaultValue("10s")]
    public string WaitFleet { get; init; } = "10s";

    /// <summary>The filters the options name (none when none is given).</summary>
    public QueryFilters Filters() =>
        QueryFilters.None with { Sources = OptionValues.List(Sources), TagsAny = OptionValues.List(TagsAny), TagsAll = OptionValues.List(TagsAll) };
}
