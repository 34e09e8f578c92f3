using Microsoft.Extensions.AI;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Telemetry;

namespace StreamRag.Query;

/// <summary>
/// The search and rerank steps: the index's candidates for the question (every shard, the request's
/// filters; an engine may fuse a text search of the question), then the request's re-ranking.
/// </summary>
internal sealed class CandidateSearch(IVectorIndex index, Reranker reranker, IEmbeddingGenerator<string, Embedding<float>> embedder)
{
    /// <returns>The results, best first, and the pure vector-search candidates when the results are exactly those (no text fusion, no re-ranking).</returns>
    public async Task<(IReadOnlyList<QueryResult> Results, IReadOnlyList<string>? VectorCandidates)> SearchAsync(
        QueryRequest request, ReadOnlyMemory<float> vector, int ef, CancellationToken cancellationToken)
    {
        var text = request.Query.Length > 0 ? request.Query : null;
        var rerank = reranker.ModeFor(request.Query);
        IReadOnlyList<SearchHit> hits;
        using (StreamRagTelemetry.Source.StartActivity(SpanNames.Search))
        {
            hits = await index.SearchAsync(new VectorQuery(request.Tenant, vector, reranker.Candidates(request.K, rerank), request.Filters, ef, Text: text), cancellationToken);
        }

        // Without a question text (an engine may fuse it with a text search) and without re-ranking,
        // the results are the graph search's own top k: the recall sample can take them as they are.
        var vectorCandidates = text is null && rerank == RerankMode.None ? hits.Select(h => $"{h.DocumentId}#{h.Chunk}").ToArray() : null;
        var results = (IReadOnlyList<QueryResult>)hits.Select(h => new QueryResult(h.DocumentId, h.Chunk, h.Score, h.Content, h.Source, h.Timestamp, h.Tags)).ToArray();
        using (rerank == RerankMode.None ? null : StreamRagTelemetry.Source.StartActivity(SpanNames.Rerank))
        {
            results = rerank switch
            {
                RerankMode.Fusion => reranker.Fuse(results, request.K),
                RerankMode.Mmr => reranker.Diversify(results, await EmbedAllAsync(results, cancellationToken), request.K),
                RerankMode.Lexical => reranker.Lexical(request.Query, results, request.K),
                _ => results,
            };
        }

        return (results, vectorCandidates);
    }

    private async Task<IReadOnlyList<ReadOnlyMemory<float>>> EmbedAllAsync(IReadOnlyList<QueryResult> results, CancellationToken cancellationToken)
    {
        var embeddings = await embedder.GenerateAsync(results.Select(r => r.Content), cancellationToken: cancellationToken);
        return embeddings.Select(e => e.Vector).ToArray();
    }
}
