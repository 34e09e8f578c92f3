using StreamRag.Hosting;
using StreamRag.Redis;

namespace StreamRag.Embedder;

/// <summary>Consumes every partition of the document-events stream as one consumer of the embedders' group.</summary>
internal sealed class EmbedderWorker(ConsumerGroupRunner runner, ConsumerGroupOptions options, KeySchema keys, DocumentEventHandler handler, MemoryPressureGate gate) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every batch's span is a root (linked to its events' traces), whatever started this host.
        System.Diagnostics.Activity.Current = null;
        var consumer = StreamRagHosting.ConsumerName(options, "embedder");
        await runner.RunAsync(
            keys.DocumentEventStreams.Select(p => new StreamConsumerSpec(p.Stream, p.DeadLetters, keys.EmbedderGroup, consumer, gate)).ToArray(),
            handler,
            stoppingToken);
    }
}
