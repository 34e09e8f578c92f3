using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace StreamRag.Settings;

/// <summary>
/// How every StreamRag host reads a configuration section into its options class: strictly. A key
/// the class does not have (a typo, a setting of another section) or a value it cannot convert
/// stops start-up with the section and the key named, like any invalid setting, instead of being
/// silently ignored while the default applies.
/// </summary>
public static partial class SettingsBinding
{
    /// <summary>
    /// Registers <typeparamref name="TOptions"/> bound strictly from <paramref name="section"/> of
    /// <paramref name="configuration"/> and checked by <typeparamref name="TValidator"/>, both at start-up.
    /// </summary>
    /// <param name="readElsewhere">Children of the section that another options class reads (e.g. <c>Index:Search</c>, the Query Engine's): left out here.</param>
    public static OptionsBuilder<TOptions> AddSettings<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration, string section, params string[] readElsewhere)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var part = configuration.GetSection(section);
        return services.AddOptionsWithValidateOnStart<TOptions, TValidator>().Configure(options => part.BindStrictly(options, readElsewhere));
    }

    /// <summary>
    /// Binds <paramref name="section"/> to <paramref name="instance"/>, leaving out the children
    /// <paramref name="readElsewhere"/>; an unknown key or an unreadable value throws <see cref="OptionsValidationException"/>.
    /// </summary>
    public static void BindStrictly<T>(this IConfiguration section, T instance, params string[] readElsewhere)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(readElsewhere);
        var path = section is IConfigurationSection s ? s.Path : "the configuration root";
        var read = readElsewhere.Length == 0 ? section : Without(section, readElsewhere);
        try
        {
            read.Bind(instance, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(T), [Describe(path, ex.Message)]);
        }
    }

    /// <summary>The section's keys (relative to it) but those under <paramref name="children"/>.</summary>
    private static IConfiguration Without(IConfiguration section, string[] children) =>
        new ConfigurationBuilder().AddInMemoryCollection(section.AsEnumerable(makePathsRelative: true)
            .Where(e => !children.Any(c => e.Key.Equals(c, StringComparison.OrdinalIgnoreCase) || e.Key.StartsWith(c + ":", StringComparison.OrdinalIgnoreCase))))
            .Build();

    /// <summary>The binder's complaint, said for an operator: which keys of which section are not settings.</summary>
    private static string Describe(string path, string binderMessage)
    {
        var unknown = UnknownKeys().Match(binderMessage);
        return unknown.Success
            ? $"unknown setting {unknown.Groups["keys"].Value} under '{path}' ({unknown.Groups["type"].Value} has no such setting; every setting is listed in docs/configuration.md)"
            : $"settings under '{path}' cannot be read: {binderMessage}";
    }

    [GeneratedRegex(@"not found on the instance of (?<type>[^:]+): (?<keys>.+)$")]
    private static partial Regex UnknownKeys();

    /// <summary>A new <typeparamref name="T"/> read strictly from <paramref name="section"/>, for a setting needed while the services are wired.</summary>
    public static T GetStrictly<T>(this IConfiguration section, params string[] readElsewhere)
        where T : class, new()
    {
        var value = new T();
        section.BindStrictly(value, readElsewhere);
        return value;
    }
}
