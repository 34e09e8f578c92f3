using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StreamRag.Settings;

namespace StreamRag.Security;

public static class SecurityExtensions
{
    private static readonly string[] KeySettings = [nameof(TokenKeyOptions.Kid), nameof(TokenKeyOptions.PublicKeyFile), nameof(TokenKeyOptions.PublicKeyPem)];

    /// <summary>Binds <c>Security:Tokens</c> strictly, checks it at start-up and registers the <see cref="TenantTokenValidator"/>.</summary>
    public static IServiceCollection AddTenantTokens(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Before the strict binding, which rejects an unknown key inside a list element without naming it.
        services.Configure<TokenOptions>(_ => RejectUnknownKeySettings(configuration.GetSection(TokenOptions.Section).GetSection(nameof(TokenOptions.Keys))));
        services.AddSettings<TokenOptions, TokenOptionsValidator>(configuration, TokenOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TenantTokenValidator>();
        return services;
    }

    private static void RejectUnknownKeySettings(IConfigurationSection keys)
    {
        var unknown = keys.GetChildren()
            .SelectMany(key => key.GetChildren().Where(s => !KeySettings.Contains(s.Key, StringComparer.OrdinalIgnoreCase)).Select(s => $"'{s.Key}' under '{key.Path}'"))
            .ToArray();
        if (unknown.Length > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TokenOptions),
                [$"unknown setting {string.Join(", ", unknown)} (a key has {string.Join(", ", KeySettings)}; every setting is listed in docs/configuration.md)"]);
        }
    }
}
