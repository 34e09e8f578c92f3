using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace StreamRag.Embedding;

/// <summary>
/// Offline embedder that needs no model weights: signed feature hashing of words (less stop words),
/// adjacent word pairs and character trigrams, L2-normalised. Texts that share words (or word stems, through
/// the trigrams) land close together, so lexical retrieval works with no network and no GPU; it
/// is deterministic across processes and machines (FNV-1a, not string.GetHashCode).
/// </summary>
public sealed class HashingEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "hashing-v1";

    private const float WordWeight = 1.0f;
    private const float PairWeight = 0.6f;
    private const float TrigramWeight = 0.25f;

    private readonly int dimensions;
    private readonly EmbeddingGeneratorMetadata metadata;

    public HashingEmbeddingGenerator(int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 8);
        this.dimensions = dimensions;
        metadata = new EmbeddingGeneratorMetadata("hashing", providerUri: null, ModelId, dimensions);
    }

    public int Dimensions => dimensions;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new Embedding<float>(Embed(text)) { ModelId = ModelId, CreatedAt = null });
        }

        return Task.FromResult(result);
    }

    /// <summary>The embedding of one text (synchronous: it is pure CPU, microseconds per text).</summary>
    public float[] Embed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var vector = new float[dimensions];
        var words = Tokenize(text);
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            Add(vector, Fnv1a(word, 0x9E37_79B9u), WordWeight);
            if (i + 1 < words.Count)
            {
                Add(vector, Fnv1a(words[i + 1], Fnv1a(word, 0x85EB_CA6Bu)), PairWeight);
            }

            // Trigrams of the word with boundary marks: "<wo", "wor", "ord", "rd>".
            var padded = $"<{word}>";
            for (var j = 0; j + 3 <= padded.Length; j++)
            {
                Add(vector, Fnv1a(padded.AsSpan(j, 3), 0xC2B2_AE35u), TrigramWeight);
            }
        }

        Normalize(vector);
        return vector;
    }

    // Function words carry no topic: left in, they make every question look like every document.
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "before",
        "but", "by", "can", "could", "did", "do", "does", "doing", "done", "each", "for", "from", "had", "has",
        "have", "he", "her", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more",
        "most", "my", "no", "not", "of", "on", "one", "or", "other", "our", "out", "over", "she", "should",
        "so", "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
        "this", "those", "through", "to", "too", "up", "us", "very", "was", "we", "were", "what", "when",
        "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
    };

    private static List<string> Tokenize(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLower(c, CultureInfo.InvariantCulture));
            }
            else
            {
                Flush(words, current);
            }
        }

        Flush(words, current);
        return words;
    }

    private static void Flush(List<string> words, StringBuilder current)
    {
        if (current.Length > 0)
        {
            var word = current.ToString();
            if (!StopWords.Contains(word))
            {
                words.Add(word);
            }

            current.Clear();
        }
    }

    private void Add(float[] vector, uint hash, float weight)
    {
        // The low bit picks the sign, so unrelated features cancel out instead of piling up.
        var index = (int)((hash >> 1) % (uint)dimensions);
        vector[index] += (hash & 1) == 0 ? weight : -weight;
    }

    private static uint Fnv1a(ReadOnlySpan<char> text, uint seed)
    {
        var hash = 2166136261u ^ seed;
        foreach (var c in text)
        {
            hash = (hash ^ (c & 0xFFu)) * 16777619u;
            hash = (hash ^ (uint)(c >> 8)) * 16777619u;
        }

        // Final avalanche (murmur3 fmix32): FNV's low bits alone are poorly mixed.
        hash ^= hash >> 16;
        hash *= 0x85EB_CA6Bu;
        hash ^= hash >> 13;
        hash *= 0xC2B2_AE35u;
        hash ^= hash >> 16;
        return hash;
    }

    private static uint Fnv1a(string text, uint seed) => Fnv1a(text.AsSpan(), seed);

    private static void Normalize(float[] vector)
    {
        double sum = 0;
        foreach (var x in vector)
        {
            sum += x * x;
        }

        if (sum == 0)
        {
            // An empty or symbol-only text: a fixed unit vector, so it is still a valid embedding.
            vector[0] = 1;
            return;
        }

        var scale = (float)(1 / Math.Sqrt(sum));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
        // Nothing to release: no model, no connections.
    }
}
