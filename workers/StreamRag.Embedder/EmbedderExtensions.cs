using StreamRag.Hosting;

namespace StreamRag.Embedder;

public static class EmbedderExtensions
{
    /// <summary>Everything the embedder host needs: shared core, chunking, the event handler and the worker.</summary>
    public static IHostApplicationBuilder AddEmbedderWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddStreamRagCore();
        builder.Services.AddOptionsWithValidateOnStart<ChunkingOptions, ChunkingOptionsValidator>()
            .Bind(builder.Configuration.GetSection(ChunkingOptions.Section));
        builder.Services.AddSingleton<DocumentEventHandler>();
        builder.Services.AddHostedService<EmbedderWorker>();
        return builder;
    }
}
