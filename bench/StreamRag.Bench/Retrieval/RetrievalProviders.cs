using StreamRag.Embedding;

namespace StreamRag.Bench.Retrieval;

/// <summary>
/// One embedding configuration the retrieval benchmark runs the fleet with: its name on the command
/// line and in the table, and the worker settings that select it. <paramref name="DefaultPath"/>
/// marks the configuration a fleet runs when nothing is configured (issue 11: the local provider
/// with arctic-embed-xs), which the target applies to.
/// </summary>
internal sealed record ProviderRun(string Name, string Description, IReadOnlyDictionary<string, string> Settings, bool DefaultPath = false)
{
    /// <summary>The default path, provided the build's default provider (and local precision) is indeed this one's.</summary>
    public bool IsDefaultPath => DefaultPath && Settings.GetValueOrDefault("Embedding:Provider") == new EmbeddingOptions().Provider
        && (Settings.GetValueOrDefault("Embedding:Local:Precision") ?? new LocalEmbeddingOptions().Precision) == new LocalEmbeddingOptions().Precision;

    /// <summary>The float32 run this one is the int8 variant of (named without <c>-int8</c>), for the int8/float32 comparison.</summary>
    public string? Float32Name => Settings.GetValueOrDefault("Embedding:Local:Precision") == LocalEmbeddingOptions.Int8Precision && Name.EndsWith("-int8", StringComparison.Ordinal)
        ? Name[..^"-int8".Length]
        : null;
}

/// <summary>
/// The embedding configurations the retrieval benchmark knows. A new provider or model is one more
/// line here: its worker settings are passed to the embedder and the query worker as configuration.
/// </summary>
internal static class RetrievalProviders
{
    public static readonly IReadOnlyList<ProviderRun> All =
    [
        new("hashing", "hashing-v1 (words hashed into 384 dimensions)", new Dictionary<string, string> { ["Embedding:Provider"] = "hashing" }),
        // The local ONNX provider's settings as its branch names them (shared/StreamRag.Embedding: LocalModelSpec).
        new("arctic-xs", "local snowflake-arctic-embed-xs (query prefix, CLS pooling), float32 weights",
            Local("snowflake-arctic-embed-xs", LocalEmbeddingOptions.Float32Precision), DefaultPath: true),
        new("arctic-xs-int8", "local snowflake-arctic-embed-xs, int8 weights (issue 20)",
            Local("snowflake-arctic-embed-xs", LocalEmbeddingOptions.Int8Precision), DefaultPath: true),
        new("minilm", "local all-MiniLM-L6-v2 (mean pooling), float32 weights", Local("all-MiniLM-L6-v2", LocalEmbeddingOptions.Float32Precision)),
        new("minilm-int8", "local all-MiniLM-L6-v2, int8 weights", Local("all-MiniLM-L6-v2", LocalEmbeddingOptions.Int8Precision)),
    ];

    private static Dictionary<string, string> Local(string model, string precision) => new()
    {
        ["Embedding:Provider"] = "local",
        ["Embedding:Model"] = model,
        ["Embedding:Local:Precision"] = precision,
    };

    /// <summary>The named runs, in the order given; an unknown name is an error that lists the known ones.</summary>
    public static IReadOnlyList<ProviderRun> Select(string names) => names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(n => All.FirstOrDefault(p => p.Name == n) ?? throw new ArgumentException($"unknown provider '{n}' (known: {string.Join(", ", All.Select(p => p.Name))})"))
        .ToArray();
}
