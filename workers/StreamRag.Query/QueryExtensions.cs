using StreamRag.Embedding.Local;
using StreamRag.Generation;
using StreamRag.Hosting;
using StreamRag.Security;
using StreamRag.Settings;
using StreamRag.Telemetry;

namespace StreamRag.Query;

public static class QueryExtensions
{
    /// <summary>Everything the query host needs: shared core, the request handler and the worker.</summary>
    public static IHostApplicationBuilder AddQueryWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Query defaults: many requests in flight at once, none waiting for a batch to fill.
        builder.AddDefaultSettings(new Dictionary<string, string?>
        {
            ["Consumer:ReadCount"] = "64",
            ["Consumer:MaxInFlight"] = "256",
            ["Consumer:BatchFillWait"] = "00:00:00",
        });
        builder.AddStreamRagCore(ServiceNames.Query).AddStreamConsumer().AddEmbedding();
        builder.Services.AddStreamRagLocalEmbedding();
        builder.Services.AddSettings<QueryOptions, QueryOptionsValidator>(builder.Configuration, QueryOptions.Section);
        builder.Services.AddSingleton<LiveSettings>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveSettings>());
        builder.Services.AddStreamRagAnswers(builder.Configuration);
        builder.Services.AddSingleton<QueryCache>();
        builder.Services.AddSingleton<QueryEmbedder>();
        builder.Services.AddSingleton<Reranker>();
        builder.Services.AddSingleton<QueryMetrics>();
        builder.Services.AddSingleton<CandidateSearch>();
        builder.Services.AddTenantTokens(builder.Configuration);
        builder.Services.AddSingleton<RequestAccess>();
        builder.Services.AddSingleton<QueryAnswerer>();
        builder.Services.AddSingleton<WatchRegistrar>();
        builder.Services.AddSingleton<ReplyPublisher>();
        builder.Services.AddSingleton<QueryWarmUp>();
        builder.Services.AddSingleton<QueryRequestHandler>();
        builder.Services.AddHostedService<QueryWorker>();
        return builder;
    }
}
