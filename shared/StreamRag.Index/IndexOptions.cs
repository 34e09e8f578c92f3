using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Index;

/// <summary>Vector index settings (configuration section <c>Index</c>).</summary>
public sealed class IndexOptions
{
    public const string Section = "Index";

    /// <summary>
    /// Two vectors at least this similar (cosine) are copies of one passage: the embedder keeps the
    /// first of a document's copies (full-precision vectors). Measured (docs/faults.md): 1,250
    /// vectors at cosine 0.9999 trap searches like identical ones; at 0.9975 they do not.
    /// </summary>
    public const double NearDuplicateCosine = 0.999;

    /// <summary>
    /// Engine of a new index: <c>vectorset</c> (Redis 8 vector sets), <c>search</c> (Redis Query
    /// Engine, FT.*), or <c>auto</c> (vector sets: they retrieve at least as well, docs/search-engine.md). An
    /// index whose manifest records an engine keeps it; a host configured with another refuses to start.
    /// </summary>
    [RegularExpression("^(auto|vectorset|search)$")]
    public string Engine { get; set; } = "auto";

    /// <summary>Vector dimension; must equal the embedder's.</summary>
    [Range(8, 4096)]
    public int Dimensions { get; set; } = 384;

    /// <summary>Vector-set quantization: <c>Q8</c> (default, ¼ the memory), <c>NOQUANT</c> (best recall) or <c>BIN</c>.</summary>
    [RegularExpression("^(Q8|NOQUANT|BIN)$")]
    public string Quantization { get; set; } = "Q8";

    /// <summary>HNSW links per node.</summary>
    [Range(4, 512)]
    public int M { get; set; } = 16;

    /// <summary>HNSW exploration factor while inserting.</summary>
    [Range(1, 4096)]
    public int EfConstruction { get; set; } = 200;

    /// <summary>HNSW exploration factor of a search when the request does not give one.</summary>
    [Range(1, 4096)]
    public int DefaultEf { get; set; } = 100;

    /// <summary>
    /// Most copies of one vector (identical vectors, from different documents) that one partition
    /// (vector set) links into its graph; a further copy is stored (text, metadata) but left out of the graph, so it is
    /// not returned by searches. Enough identical vectors close themselves off and make every other
    /// passage unreachable (docs/faults.md). 0 turns the check off. Vector-set engine only.
    /// </summary>
    [Range(0, 1024)]
    public int MaxDuplicatePassages { get; set; } = 32;

    /// <summary>How long a deleted document's tombstone (its last version) is kept to reject late, older events.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromDays(7);
}

[OptionsValidator]
public sealed partial class IndexOptionsValidator : IValidateOptions<IndexOptions>;
