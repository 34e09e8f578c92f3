using StreamRag.Embedding;

namespace StreamRag.Bench.Retrieval;

/// <summary>One embedding configuration the retrieval benchmark runs the fleet with: its name on the command line and in the table, and the worker settings that select it.</summary>
internal sealed record ProviderRun(string Name, string Description, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>True when these settings are what a fleet runs with no embedding settings at all (the default path the target applies to).</summary>
    public bool IsDefaultPath
    {
        get
        {
            var defaults = new EmbeddingOptions();
            return Settings.GetValueOrDefault("Embedding:Provider") == defaults.Provider
                && (defaults.Model is null || !Settings.TryGetValue("Embedding:Model", out var model) || model == defaults.Model);
        }
    }
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
        // PLACEHOLDER setting names for the local ONNX provider (issue 11), until it lands on this branch.
        new("arctic-xs", "local snowflake-arctic-embed-xs (query prefix, CLS pooling)", new Dictionary<string, string> { ["Embedding:Provider"] = "local", ["Embedding:Model"] = "arctic-embed-xs" }),
        new("minilm", "local all-MiniLM-L6-v2 (mean pooling)", new Dictionary<string, string> { ["Embedding:Provider"] = "local", ["Embedding:Model"] = "all-MiniLM-L6-v2" }),
    ];

    /// <summary>The named runs, in the order given; an unknown name is an error that lists the known ones.</summary>
    public static IReadOnlyList<ProviderRun> Select(string names) => names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(n => All.FirstOrDefault(p => p.Name == n) ?? throw new ArgumentException($"unknown provider '{n}' (known: {string.Join(", ", All.Select(p => p.Name))})"))
        .ToArray();
}
