using StreamRag.Hosting;
using StreamRag.Settings;
using StreamRag.Telemetry;

namespace StreamRag.Sweeper;

public static class SweeperExtensions
{
    /// <summary>Everything the retention sweeper host needs: shared core, its options, metrics and the worker.</summary>
    public static IHostApplicationBuilder AddSweeperWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddStreamRagCore(ServiceNames.Sweeper);
        builder.Services.AddMetrics();
        builder.Services.AddSettings<SweeperOptions, SweeperOptionsValidator>(builder.Configuration, SweeperOptions.Section);
        builder.Services.AddSingleton<SweeperMetrics>();
        builder.Services.AddSingleton<ExpirySweeper>();
        builder.Services.AddHostedService<SweeperWorker>();
        return builder;
    }
}
