using StreamRag.Hosting;
using StreamRag.Redis;

namespace StreamRag.Embedder;

/// <summary>Consumes the document-events stream as one consumer of the embedders' group.</summary>
internal sealed class EmbedderWorker(ConsumerGroupRunner runner, ConsumerGroupOptions options, KeySchema keys, DocumentEventHandler handler, MemoryPressureGate gate) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        runner.RunAsync(
            new StreamConsumerSpec(keys.DocumentEvents, keys.DocumentDeadLetters, keys.EmbedderGroup, StreamRagHosting.ConsumerName(options, "embedder"), gate),
            handler,
            stoppingToken);
}
