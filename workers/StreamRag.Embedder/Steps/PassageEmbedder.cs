using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;

namespace StreamRag.Embedder;

/// <summary>
/// The embed step: the passages of every plan of a batch in as few provider calls as
/// <see cref="EmbedderOptions.MaxEmbeddingBatch"/> allows, then only the vectors worth storing.
/// </summary>
internal sealed class PassageEmbedder(
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<EmbedderOptions> options,
    EmbedderMetrics metrics,
    TimeProvider time)
{
    /// <summary>
    /// When the provider refuses a call for its content, each document is retried alone, so only the
    /// documents that can never be embedded are refused (dead-lettered). An unavailable provider
    /// throws: the whole batch stays pending and is retried after a back-off.
    /// </summary>
    public async Task EmbedAsync(WritePlan[] plans, CancellationToken cancellationToken)
    {
        if (plans.Length == 0)
        {
            return;
        }

        try
        {
            var vectors = await EmbedTextsAsync(plans.SelectMany(p => p.Chunks!).Select(c => c.Text).ToArray(), cancellationToken);
            var offset = 0;
            foreach (var plan in plans)
            {
                var count = plan.Chunks!.Count;
                KeepDistinctVectors(plan, vectors[offset..(offset + count)]);
                offset += count;
            }
        }
        catch (Exception ex) when (IsRefusal(ex) && plans.Length > 1)
        {
            foreach (var plan in plans)
            {
                await EmbedAsync([plan], cancellationToken);
            }
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            plans[0].Refused = Refusal(ex);
        }
    }

    /// <summary>Embeds one plan's passages again (its content changed under it); a refusal throws.</summary>
    public async Task EmbedOneAsync(WritePlan plan, CancellationToken cancellationToken) =>
        KeepDistinctVectors(plan, await EmbedTextsAsync(plan.Chunks!.Select(c => c.Text).ToArray(), cancellationToken));

    /// <summary>The provider refused the content itself: retrying cannot help.</summary>
    public static bool IsRefusal(Exception ex) =>
        ex is EmbeddingRequestRejectedException or EmbeddingResponseInvalidException or EmbeddingInputTooLongException;

    public static string Refusal(Exception ex) => $"{ErrorCodes.InvalidField}: the embedding provider refused this document: {ex.Message}";

    private async Task<ReadOnlyMemory<float>[]> EmbedTextsAsync(string[] texts, CancellationToken cancellationToken)
    {
        var vectors = new List<ReadOnlyMemory<float>>(texts.Length);
        foreach (var batch in texts.Chunk(options.Value.MaxEmbeddingBatch))
        {
            var started = time.GetTimestamp();
            var embeddings = await embedder.GenerateAsync(batch, cancellationToken: cancellationToken);
            metrics.EmbeddingCall(batch.Length, time.GetElapsedTime(started).TotalMilliseconds);
            if (embeddings.Count != batch.Length)
            {
                throw new InvalidOperationException($"the embedding provider returned {embeddings.Count} vectors for {batch.Length} inputs");
            }

            vectors.AddRange(embeddings.Select(x => x.Vector));
        }

        return vectors.ToArray();
    }

    /// <summary>Keeps the passages whose vectors are worth storing (<see cref="Passages.DistinctVectors"/>), in order.</summary>
    private void KeepDistinctVectors(WritePlan plan, ReadOnlyMemory<float>[] vectors)
    {
        var distinct = Passages.DistinctVectors(vectors, IndexOptions.NearDuplicateCosine);
        metrics.PassagesDropped("near_duplicate", distinct.NearDuplicates);
        metrics.PassagesDropped("no_direction", distinct.Degenerate);
        if (distinct.Kept.Count == vectors.Length)
        {
            plan.Vectors = vectors;
            return;
        }

        plan.Chunks = distinct.Kept.Select(i => plan.Chunks![i]).ToArray();
        plan.Vectors = distinct.Kept.Select(i => vectors[i]).ToArray();
    }
}
