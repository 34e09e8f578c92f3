using System.Collections;
using System.ComponentModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Spectre.Console.Cli;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Settings;

namespace StreamRag.Cli.Commands;

public class IndexSettings : GlobalSettings
{
    [CommandOption("--index <KEY=VALUE>")]
    [Description("an Index setting of the configured schema, e.g. --index M=32 (repeatable; Index__* environment variables apply too)")]
    public string[] Index { get; init; } = [];

    /// <summary>The Index section as the hosts would read it: <c>Index__*</c> variables, then the <c>--index</c> pairs.</summary>
    public IndexOptions IndexOptions() =>
        Read(StreamRag.Index.IndexOptions.Section, new IndexOptionsValidator(), SearchIndexOptions.IndexChild);

    /// <summary>The Query Engine's own settings (<c>Index:Search</c>), read from the same variables and <c>--index Search:KEY=VALUE</c> pairs.</summary>
    public SearchIndexOptions SearchOptions() => Read(SearchIndexOptions.Section, new SearchIndexOptionsValidator());

    /// <summary>One section of the <c>Index</c> keys, read strictly and validated as a host would; a problem is a usage error.</summary>
    private T Read<T>(string section, IValidateOptions<T> validator, params string[] readElsewhere)
        where T : class, new()
    {
        try
        {
            var options = new ConfigurationBuilder().AddInMemoryCollection(Values()).Build().GetSection(section).GetStrictly<T>(readElsewhere);
            var validation = validator.Validate(null, options);
            return validation.Failed ? throw CliException.Usage($"--index: {validation.FailureMessage}") : options;
        }
        catch (OptionsValidationException ex)
        {
            throw CliException.Usage($"--index: {ex.Message}");
        }
    }

    /// <summary>The <c>Index</c> keys: <c>Index__*</c> variables, then the <c>--index</c> pairs.</summary>
    private Dictionary<string, string?> Values()
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry variable in System.Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("Index__", StringComparison.OrdinalIgnoreCase))
            {
                values[name.Replace("__", ":", StringComparison.Ordinal)] = variable.Value as string;
            }
        }

        foreach (var pair in Index)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw CliException.Usage($"--index: '{pair}' is not KEY=VALUE (e.g. M=32, Search:Algorithm=FLAT)");
            }

            values[$"Index:{pair[..equals]}"] = pair[(equals + 1)..];
        }

        return values;
    }
}
