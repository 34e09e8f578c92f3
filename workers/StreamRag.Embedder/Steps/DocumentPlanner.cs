using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;

namespace StreamRag.Embedder;

/// <summary>
/// The plan step: for the events of one document, in stream order, what to write. Reads the indexed
/// state once; a delete needs no passages; content whose hash is indexed (or planned just before)
/// only updates metadata; other content is cut into its distinct passages, or refused when it makes
/// too many.
/// </summary>
internal sealed class DocumentPlanner(
    IPartitionMetadata metadata,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IVectorIndex index,
    IChunker chunker,
    IOptions<EmbedderOptions> options,
    EmbedderMetrics metrics)
{
    // The passage rules (Passages: repeats and empty passages dropped) are part of what is stored, so of the salt too.
    private readonly string hashSalt = $"{embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId}|{index.Dimensions}|{chunker.Fingerprint}|{Passages.Rules}\n";

    public async Task<List<WritePlan>> PlanAsync(ParsedEvent[] events, CancellationToken cancellationToken)
    {
        var first = events[0].Event;
        var state = await metadata.GetStateAsync(first.Tenant, first.Id, cancellationToken);
        var plans = new List<WritePlan>();
        var indexedHash = state is { Deleted: false } ? state.ContentHash : null;
        foreach (var parsed in events)
        {
            var e = parsed.Event;
            if (e.Operation == DocumentOperation.Delete)
            {
                plans.Add(new WritePlan(parsed, "", null));
                indexedHash = null;
                continue;
            }

            var hash = ContentHash(e.Content);
            if (hash == indexedHash)
            {
                plans.Add(new WritePlan(parsed, hash, null));
                continue;
            }

            var (passages, refused) = PassagesOf(e.Content);
            plans.Add(new WritePlan(parsed, hash, passages) { Refused = refused });
            if (refused is null)
            {
                indexedHash = hash;
            }
        }

        return plans;
    }

    /// <summary>
    /// The distinct passages of a document's content, or why it is refused: more of them than
    /// <see cref="EmbedderOptions.MaxPassagesPerDocument"/>. A document is indexed whole or not at all.
    /// </summary>
    public (IReadOnlyList<TextChunk>? Passages, string? Refused) PassagesOf(string content)
    {
        var cut = chunker.Split(content);
        var distinct = Passages.Distinct(cut);
        metrics.PassagesDropped("repeated", distinct.Repeated);
        metrics.PassagesDropped("empty", distinct.Empty);
        var limit = options.Value.MaxPassagesPerDocument;
        return distinct.Kept.Count <= limit
            ? (distinct.Kept, null)
            : (null, string.Create(CultureInfo.InvariantCulture,
                $"{ErrorCodes.TooLarge}: the document makes {distinct.Kept.Count} distinct passages; the limit is {limit} (Embedder:MaxPassagesPerDocument). Split it into several documents"));
    }

    private string ContentHash(string content)
    {
        // The salt makes a change of model or chunking count as changed content.
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(hashSalt + content), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
