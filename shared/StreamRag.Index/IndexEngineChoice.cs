namespace StreamRag.Index;

/// <summary>Which engine a configuration and a server give, and why (pure, so it is unit-tested).</summary>
public static class IndexEngineChoice
{
    public const string VectorSet = "vectorset";
    public const string Search = "search";
    public const string Auto = "auto";

    /// <summary>
    /// Why <c>auto</c> picks vector sets whatever the server has (issue 19): measured through the fleet
    /// with the default model, the Query Engine engine's hybrid search retrieves no better than vector
    /// sets with the query worker's lexical re-ranking (docs/search-engine.md, retrieval quality), and
    /// vector sets are on every Redis 8 and need no FT permission.
    /// </summary>
    public const string AutoReason = "auto: vector sets, which retrieve at least as well as the Query Engine in our measurements (docs/search-engine.md); Index:Engine=search picks the Query Engine";

    /// <summary>
    /// The engine a new index gets; throws when the Query Engine is required but missing. Only for an
    /// index without a manifest: a recorded engine is adopted instead (<see cref="IndexManifestRules"/>).
    /// <c>auto</c> is vector sets (<see cref="AutoReason"/>), so only <c>search</c> needs the probe.
    /// </summary>
    public static (string Engine, string Reason) Decide(string configured, bool queryEngineAvailable, string probe) => configured switch
    {
        Search when queryEngineAvailable => (Search, "configured"),
        Search => throw new InvalidOperationException($"Index:Engine=search but the Redis server has no Query Engine (FT._LIST: {probe})"),
        VectorSet => (VectorSet, "configured"),
        _ => (VectorSet, AutoReason),
    };

    /// <summary>
    /// True only for the server's "unknown command" reply: the one answer that means the Query Engine
    /// is absent. NOPERM, LOADING and the like say nothing about it.
    /// </summary>
    public static bool MeansNoQueryEngine(string error) =>
        error is not null && error.StartsWith("ERR unknown command", StringComparison.OrdinalIgnoreCase);
}
