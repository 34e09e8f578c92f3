using Microsoft.Extensions.Options;
using StreamRag.Hosting;
using StreamRag.Monitor.Dashboard;
using StreamRag.Settings;
using StreamRag.Telemetry;

namespace StreamRag.Monitor;

public static class MonitorExtensions
{
    /// <summary>Everything the monitor host needs: shared core, its options, window, probe, tuner, alerts, the worker and the dashboard (off unless Dashboard:Port is set).</summary>
    public static IHostApplicationBuilder AddMonitorWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddStreamRagCore(ServiceNames.Monitor);
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddMetrics();
        // Kestrel logs every request at Information: the dashboard polls every second. Configuration can still ask for them.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        services.AddSettings<MonitorOptions, MonitorOptionsValidator>(config, MonitorOptions.Section);
        services.AddSettings<AlertOptions, AlertOptionsValidator>(config, AlertOptions.Section);
        services.AddSettings<TuningOptions, TuningOptionsValidator>(config, TuningOptions.Section);
        services.AddSettings<DashboardOptions, DashboardOptionsValidator>(config, DashboardOptions.Section);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<MonitorOptions>>().Value;
            return new QueryWindow(o.Window, o.MaxWindowQueries);
        });
        services.AddSingleton<MonitorMetrics>();
        services.AddSingleton<RecallSampleQueue>();
        services.AddSingleton<QueryMetricsReader>();
        services.AddSingleton<RedisProbe>();
        services.AddSingleton<SearchTuner>();
        services.AddSingleton<AlertPublisher>();
        services.AddSingleton<MonitorService>();
        services.AddSingleton<DashboardFeed>();
        services.AddSingleton<DashboardAssets>();
        // Started first: a dashboard port already in use stops the host before any evaluation runs.
        services.AddHostedService<DashboardServer>();
        services.AddHostedService<MonitorWorker>();
        return builder;
    }
}
