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
    /// <summary>The default path, provided the build's default provider is indeed this one's.</summary>
    public bool IsDefaultPath => DefaultPath && Settings.GetValueOrDefault("Embedding:Provider") == new EmbeddingOptions().Provider;
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
        new("arctic-xs", "local snowflake-arctic-embed-xs (query prefix, CLS pooling)",
            new Dictionary<string, string> { ["Embedding:Provider"] = "local", ["Embedding:Model"] = "snowflake-arctic-embed-xs" }, DefaultPath: true),
        new("minilm", "local all-MiniLM-L6-v2 (mean pooling)", new Dictionary<string, string> { ["Embedding:Provider"] = "local", ["Embedding:Model"] = "all-MiniLM-L6-v2" }),
    ];

    /// <summary>The named runs, in the order given; an unknown name is an error that lists the known ones.</summary>
    public static IReadOnlyList<ProviderRun> Select(string names) => names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(n => All.FirstOrDefault(p => p.Name == n) ?? throw new ArgumentException($"unknown provider '{n}' (known: {string.Join(", ", All.Select(p => p.Name))})"))
        .ToArray();
}
