using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Index;

/// <summary>Vector index settings (configuration section <c>Index</c>).</summary>
public sealed class IndexOptions
{
    public const string Section = "Index";

    /// <summary>
    /// Index engine: <c>vectorset</c> (Redis 8 vector sets), <c>search</c> (Redis Query Engine, FT.*),
    /// or <c>auto</c> (the Query Engine when the server has it, else vector sets).
    /// </summary>
    [RegularExpression("^(auto|vectorset|search)$")]
    public string Engine { get; set; } = "auto";

    /// <summary>Settings only the Query Engine engine reads (section <c>Index:Search</c>).</summary>
    [ValidateObjectMembers]
    public SearchIndexOptions Search { get; set; } = new();

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

    /// <summary>How long a deleted document's tombstone (its last version) is kept to reject late, older events.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromDays(7);
}

[OptionsValidator]
public sealed partial class IndexOptionsValidator : IValidateOptions<IndexOptions>;
