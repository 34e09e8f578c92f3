using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Index.Search;

/// <summary>
/// Settings of the Redis Query Engine (FT.*) engine, configuration section <c>Index:Search</c>.
/// The vector dimension, HNSW <c>M</c>, <c>EF_CONSTRUCTION</c> and default <c>EF_RUNTIME</c> are the
/// shared <see cref="IndexOptions"/> values (<c>Dimensions</c>, <c>M</c>, <c>EfConstruction</c>, <c>DefaultEf</c>).
/// </summary>
public sealed class SearchIndexOptions
{
    /// <summary>Its configuration section: inside <c>Index</c>, read by this engine only.</summary>
    public const string Section = "Index:Search";

    /// <summary>The child of the <c>Index</c> section that this class, not <see cref="IndexOptions"/>, reads.</summary>
    public const string IndexChild = "Search";

    /// <summary>Vector index algorithm: <c>HNSW</c> (approximate, fast) or <c>FLAT</c> (brute force, exact).</summary>
    [RegularExpression("^(HNSW|FLAT)$")]
    public string Algorithm { get; set; } = "HNSW";

    /// <summary>Distance metric of the vector field: <c>COSINE</c>, <c>L2</c> or <c>IP</c>.</summary>
    [RegularExpression("^(COSINE|L2|IP)$")]
    public string DistanceMetric { get; set; } = "COSINE";

    /// <summary>
    /// What a running index whose schema differs from this configuration does to start-up:
    /// <c>fail</c> (refuse to start, naming the differences) or <c>warn</c> (log them as an error and keep serving the running index).
    /// </summary>
    [RegularExpression("^(fail|warn)$")]
    public string OnSchemaMismatch { get; set; } = "fail";

    /// <summary>
    /// How long a host waits, at start-up, for a new FT index (its own, or one another host just
    /// created) to finish indexing the chunks already stored, before it writes or searches through
    /// it; past this it refuses to start, naming the index and its progress.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan BuildTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Where a hybrid search fuses its text and vector rankings: <c>auto</c> on the server with one
    /// FT.HYBRID when the server runs it (Redis 8.4 and newer), else in the client from two FT.SEARCH;
    /// <c>client</c> always in the client.
    /// </summary>
    [RegularExpression("^(auto|client)$")]
    public string Fusion { get; set; } = "auto";

    /// <summary>
    /// How a hybrid search fuses its two rankings: <c>linear</c> (vector similarity × <see cref="VectorWeight"/>
    /// plus the full-text score, divided by the query's best, × <see cref="TextWeight"/>: a similarity with a
    /// bonus for the question's words) or <c>rrf</c> (reciprocal rank fusion: Σ weight / (<see cref="RrfK"/> + rank)).
    /// </summary>
    [RegularExpression("^(linear|rrf)$")]
    public string Combine { get; set; } = "linear";

    /// <summary>Weight of the vector side in hybrid fusion.</summary>
    [Range(0.0, 100.0)]
    public double VectorWeight { get; set; } = 1.0;

    /// <summary>Weight of the full-text side in hybrid fusion; 0 turns hybrid search off.</summary>
    [Range(0.0, 100.0)]
    public double TextWeight { get; set; } = 0.02;

    /// <summary>The constant k of reciprocal rank fusion (<c>Combine=rrf</c>; score = Σ weight / (k + rank)); larger flattens the ranks.</summary>
    [Range(1, 10_000)]
    public int RrfK { get; set; } = 60;

    /// <summary>Candidates each side of a hybrid search returns before fusion (at least the query's K).</summary>
    [Range(1, 1_000)]
    public int HybridCandidates { get; set; } = 50;
}

[OptionsValidator]
public sealed partial class SearchIndexOptionsValidator : IValidateOptions<SearchIndexOptions>;
