using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace StreamRag.Hosting;

/// <summary>
/// The host's <see cref="IMeterFactory"/> when it exports metrics: the OpenTelemetry meter provider is
/// built before the first meter is handed out. A measurement made before the provider listens is
/// lost, and the host builds its hosted services (and with them their instruments) before it starts
/// the provider: the 0 each unlabelled counter records when it is created (<c>MeterExtensions.Counter</c>)
/// would never reach the scrape endpoint, and the series would be missing until the first event.
/// </summary>
internal sealed class ListeningMeterFactory(IMeterFactory inner) : IMeterFactory
{
    /// <summary>Replaces the registered <see cref="IMeterFactory"/> with one that starts the meter provider first.</summary>
    public static void Register(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IMeterFactory) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("no IMeterFactory registered: call AddMetrics first");
        var type = registered.ImplementationType
            ?? throw new InvalidOperationException($"the registered IMeterFactory is not a type ({registered}): cannot wrap it");
        services.Remove(registered);
        services.AddSingleton<IMeterFactory>(sp =>
        {
            // Built, and listening, before any meter exists; the container disposes it with the host.
            _ = sp.GetRequiredService<MeterProvider>();
            return new ListeningMeterFactory((IMeterFactory)ActivatorUtilities.CreateInstance(sp, type));
        });
    }

    public Meter Create(MeterOptions options)
    {
        // The caller's scope is this wrapper (IMeterFactory.Create(name) sets it); the inner factory accepts only its own.
        ArgumentNullException.ThrowIfNull(options);
        return inner.Create(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, TelemetrySchemaUrl = options.TelemetrySchemaUrl });
    }

    public void Dispose() => inner.Dispose();
}
