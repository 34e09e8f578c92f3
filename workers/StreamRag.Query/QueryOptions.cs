using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Query;

/// <summary>Query worker settings (configuration section <c>Query</c>).</summary>
public sealed class QueryOptions
{
    public const string Section = "Query";

    /// <summary>How long an exact-cache entry lives (any index change invalidates it sooner).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most cached replies kept in memory (0 turns caching off).</summary>
    [Range(0, 1_000_000)]
    public int CacheEntries { get; set; } = 10_000;

    /// <summary>Query vectors kept in memory (least recently used forgotten first), so a repeated question skips the model; 0 turns it off.</summary>
    [Range(0, 1_000_000)]
    public int EmbeddingCacheEntries { get; set; } = 10_000;

    /// <summary>Also answer from a previous query whose vector is at least <see cref="SemanticCacheSimilarity"/> similar.</summary>
    public bool SemanticCache { get; set; }

    /// <summary>Cosine similarity at which two queries count as the same question.</summary>
    [Range(0.5, 1.0)]
    public double SemanticCacheSimilarity { get; set; } = 0.97;

    /// <summary>Re-ranking of the engine's candidates.</summary>
    public RerankMode Rerank { get; set; } = RerankMode.Lexical;

    /// <summary>Candidates fetched per result when re-ranking (k × this).</summary>
    [Range(1, 20)]
    public int RerankCandidates { get; set; } = 3;

    /// <summary>Fewest candidates the lexical re-ranking looks at, whatever k (its word statistics need a pool).</summary>
    [Range(1, 1000)]
    public int LexicalCandidates { get; set; } = 30;

    /// <summary>Similarity added for a candidate holding all of the query's words (scores are (1 + cosine) / 2).</summary>
    [Range(0.0, 1.0)]
    public double LexicalWeight { get; set; } = 0.05;

    [Range(0.0, 10.0)]
    public double SimilarityWeight { get; set; } = 0.8;

    [Range(0.0, 10.0)]
    public double RecencyWeight { get; set; } = 0.15;

    [Range(0.0, 10.0)]
    public double LengthWeight { get; set; } = 0.05;

    /// <summary>Age at which the recency score halves.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan RecencyHalfLife { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Content length (characters) that earns the full length score.</summary>
    [Range(1, 1_000_000)]
    public int IdealContentLength { get; set; } = 800;

    /// <summary>MMR trade-off: 1 = relevance only, 0 = diversity only.</summary>
    [Range(0.0, 1.0)]
    public double MmrLambda { get; set; } = 0.7;

    /// <summary>Share of queries whose vector and results go to the metrics stream, for recall measurement.</summary>
    [Range(0.0, 1.0)]
    public double RecallSampleRate { get; set; } = 0.02;

    /// <summary>Approximate cap of the query-metrics stream.</summary>
    [Range(1_000, 10_000_000)]
    public int MetricsStreamLength { get; set; } = 100_000;

    /// <summary>
    /// How long a reply whose PUBLISH fails for a passing reason (connection lost, <c>READONLY</c>,
    /// <c>MOVED</c>: a failover) is retried in place, with back-off, before its request is left
    /// pending for a later retry; never past the request's deadline. 0: no retry in place.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan PublishRetryWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the live settings (search EF tuned by the monitor) are re-read.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan SettingsRefresh { get; set; } = TimeSpan.FromSeconds(1);
}

[OptionsValidator]
public sealed partial class QueryOptionsValidator : IValidateOptions<QueryOptions>;
