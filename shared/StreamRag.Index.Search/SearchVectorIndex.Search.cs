using NRedisStack;
using NRedisStack.RedisStackCommands;
using NRedisStack.Search;
using StackExchange.Redis;

namespace StreamRag.Index.Search;

/// <summary>Searching the index: KNN alone, or fused with a full-text search on the server (FT.HYBRID) or here.</summary>
public sealed partial class SearchVectorIndex
{
    /// <summary>FT.HYBRID when <c>Index:Search:Fusion=auto</c> and the server runs it; else the client fuses.</summary>
    private async Task<(bool Server, string Reason)> ChooseFusionAsync(IDatabase db)
    {
        if (search.Fusion == "client")
        {
            return (false, "Index:Search:Fusion=client");
        }

        if (search.Combine == "rrf" && search.VectorWeight != search.TextWeight)
        {
            return (false, "Index:Search:Combine=rrf with unequal weights, which FT.HYBRID's RRF does not take");
        }

        var (available, probe) = await admin.ProbeHybridAsync(db);
        return available
            ? (true, "Index:Search:Fusion=auto and the server runs FT.HYBRID")
            : (false, $"Index:Search:Fusion=auto and the server has no usable FT.HYBRID ({probe})");
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Vector.Length != settings.Dimensions)
        {
            throw new DimensionMismatchException(settings.Dimensions, query.Vector.Length);
        }

        await EnsureIndexAsync(cancellationToken);
        var db = await DatabaseAsync();
        var filter = SearchQueries.Filter(query.Tenant, query.Filters);
        var hnsw = search.Algorithm == "HNSW";
        var ef = query.Ef ?? settings.DefaultEf;
        // Exact searches measure recall of the vector index, so they never mix in full text.
        var terms = query.Exact || search.TextWeight <= 0 ? [] : SearchQueries.Terms(query.Text);
        if (terms.Count == 0)
        {
            var found = await RunAsync(db, SearchQueries.Knn(filter, query.Vector, query.K, ef, query.Exact, hnsw));
            return found.Select(c => c.ToHit(SearchQueries.Similarity(search.DistanceMetric, c.Distance))).ToArray();
        }

        var candidates = Math.Max(query.K, search.HybridCandidates);
        if (serverFusion)
        {
            var reply = await db.ExecuteAsync("FT.HYBRID", SearchQueries.Hybrid(keys.SearchIndexAlias, filter, terms, query.Vector, query.K, candidates, ef, hnsw, search));
            return FoundChunk.FromHybrid(reply).Select(c => c.Chunk.ToHit(Math.Min(1.0, c.Score))).ToArray();
        }

        var vectorSide = RunAsync(db, SearchQueries.Knn(filter, query.Vector, candidates, Math.Max(ef, candidates), exact: false, hnsw));
        var textSide = RunAsync(db, SearchQueries.FullText(filter, terms, candidates));
        var byVector = await vectorSide;
        var byText = await textSide;
        var chunks = byVector.Concat(byText).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.First());
        var fused = search.Combine == "linear"
            ? LinearFusion.Fuse(
                byVector.Select(c => (c.Key, SearchQueries.Similarity(search.DistanceMetric, c.Distance))).ToArray(),
                byText.Select(c => (c.Key, c.TextScore)).ToArray(), search.VectorWeight, search.TextWeight)
            : ReciprocalRankFusion.Fuse(byVector.Select(c => c.Key).ToArray(), byText.Select(c => c.Key).ToArray(), search.VectorWeight, search.TextWeight, search.RrfK);
        return fused
            .Take(query.K)
            // A linear score is a similarity plus a bonus: capped at 1, the top of the contract's scale.
            .Select(f => chunks[f.Key].ToHit(Math.Min(1.0, f.Score)))
            .ToArray();
    }

    private async Task<IReadOnlyList<FoundChunk>> RunAsync(IDatabase db, Query query)
    {
        var result = await db.FT().SearchAsync(keys.SearchIndexAlias, query);
        return result.Documents.Select(FoundChunk.From).ToArray();
    }

}
