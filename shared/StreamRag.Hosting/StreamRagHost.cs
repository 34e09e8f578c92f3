using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Index;

namespace StreamRag.Hosting;

/// <summary>
/// The entry point every worker host shares: its default scrape port beneath every other configuration
/// source, its services, and a start-up that ends in one line and exit code 2 when the cause is something
/// for the operator to change (a bad or unknown setting, a taken port, an index built for another model,
/// Redis unreachable) instead of a stack trace.
/// </summary>
public static class StreamRagHost
{
    /// <summary>Exit code of a host that could not start for a reason its one line names.</summary>
    public const int StartupFailureExitCode = 2;

    /// <summary>Top-level configuration sections that are not StreamRag's own but are read by the framework.</summary>
    private static readonly string[] FrameworkSections = ["Logging"];

    /// <param name="args">The process's command-line arguments (configuration overrides).</param>
    /// <param name="defaultMetricsPort">This host's scrape port unless configuration says otherwise (docs/operations.md).</param>
    /// <param name="addWorker">Registers the host's worker and what it uses.</param>
    public static async Task<int> RunAsync(string[] args, int defaultMetricsPort, Action<HostApplicationBuilder> addWorker)
    {
        ArgumentNullException.ThrowIfNull(addWorker);
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddDefaultSettings(new Dictionary<string, string?> { [$"{MetricsOptions.Section}:PrometheusPort"] = defaultMetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        IHost host;
        try
        {
            if (UnknownSection(builder.Configuration) is { } unknown)
            {
                throw new HostStartupException(unknown);
            }

            addWorker(builder);
            host = builder.Build();
            // Validated here first: a failure inside StartAsync is also logged by the host with its stack trace.
            host.Services.GetService<IStartupValidator>()?.Validate();
            await host.StartAsync();
        }
        catch (Exception e) when (OneLine(e) is { } line)
        {
            await Console.Error.WriteLineAsync(line);
            return StartupFailureExitCode;
        }

        using (host)
        {
            await host.WaitForShutdownAsync();
        }

        return 0;
    }

    /// <summary>
    /// The first configuration key under a top-level section that no part of StreamRag reads (a typo such as
    /// <c>Querry:CacheTtl</c>), said for an operator; null when there is none. Keys without a section (plain
    /// environment variables such as <c>PATH</c>) are not settings and are left alone.
    /// </summary>
    public static string? UnknownSection(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var known = SettingsSections.All.Concat(FrameworkSections).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetChildren())
        {
            if (section.Key.Length == 0 || known.Contains(section.Key) || !section.GetChildren().Any())
            {
                continue;
            }

            var key = section.AsEnumerable(makePathsRelative: false).Where(p => p.Value is not null).Select(p => p.Key).Order(StringComparer.Ordinal).FirstOrDefault() ?? section.Key;
            return $"unknown configuration section '{section.Key}' ({key}); the sections are {string.Join(", ", SettingsSections.All.Order(StringComparer.Ordinal))} (docs/configuration.md lists every setting)";
        }

        return null;
    }

    /// <summary>The one line for a start-up failure the operator can act on; null for anything else (a bug: let it throw).</summary>
    private static string? OneLine(Exception e) => e switch
    {
        HostStartupException or IndexManifestConflictException => e.Message,
        OptionsValidationException invalid => $"invalid setting{SectionOf(invalid.OptionsType)}: {string.Join("; ", invalid.Failures)}",
        RedisConnectionException => $"cannot reach Redis: {FirstLine(e.Message)}",
        AggregateException { InnerExceptions: [var single] } => OneLine(single),
        _ => null,
    };

    /// <summary>" under 'Consumer'" for an options class with a <c>Section</c>, so the line names the key's full path.</summary>
    private static string SectionOf(Type options) =>
        options.GetField("Section", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetRawConstantValue() is string section
            ? $" under '{section}'"
            : "";

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();
}
