using Microsoft.Extensions.Options;
using StreamRag.Embedding.Local;
using StreamRag.Hosting;
using StreamRag.Redis;
using StreamRag.Security;
using StreamRag.Settings;
using StreamRag.Telemetry;

namespace StreamRag.Embedder;

public static class EmbedderExtensions
{
    /// <summary>Everything the embedder host needs: shared core, chunking, the event handler and the worker.</summary>
    public static IHostApplicationBuilder AddEmbedderWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Embedder defaults: bigger batches for fewer, larger embedding calls; still overridable.
        builder.AddDefaultSettings(new Dictionary<string, string?>
        {
            ["Consumer:ReadCount"] = "256",
            ["Consumer:MaxInFlight"] = "512",
            ["Consumer:BatchFillWait"] = "00:00:00.010",
        });
        builder.AddStreamRagCore(ServiceNames.Embedder).AddStreamConsumer().AddEmbedding().AddRetention();
        builder.Services.AddStreamRagLocalEmbedding();
        builder.Services.AddSingleton(sp => new ReplicaAcknowledgement(sp.GetRequiredService<IOptions<RedisOptions>>()));
        builder.Services.AddSettings<EmbedderOptions, EmbedderOptionsValidator>(builder.Configuration, EmbedderOptions.Section);
        builder.Services.AddSingleton<EmbedderMetrics>();
        builder.Services.AddTenantTokens(builder.Configuration);
        builder.Services.AddSingleton<DocumentPlanner>();
        builder.Services.AddSingleton<PassageEmbedder>();
        builder.Services.AddSingleton<DocumentWriter>();
        builder.Services.AddSingleton<ReplicaSettle>();
        builder.Services.AddSingleton<DocumentEventHandler>();
        builder.Services.AddHostedService<EmbedderWorker>();
        return builder;
    }
}
