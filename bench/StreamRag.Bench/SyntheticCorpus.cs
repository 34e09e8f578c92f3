using StreamRag.Embedding;

namespace StreamRag.Bench;

/// <summary>
/// Synthetic documents with cluster structure (fixed seed): each cluster has its own vocabulary,
/// each document draws most words from its cluster and a few from a shared pool. Vectors come from
/// the same offline embedder the fleet runs, so the raw baseline and the fleet index identical vectors.
/// </summary>
internal sealed class SyntheticCorpus
{
    public const int Sources = 10;

    private SyntheticCorpus(string[] texts, float[][] vectors, string[] queryTexts, float[][] queryVectors)
    {
        Texts = texts;
        Vectors = vectors;
        QueryTexts = queryTexts;
        QueryVectors = queryVectors;
    }

    public string[] Texts { get; }

    public float[][] Vectors { get; }

    public string[] QueryTexts { get; }

    public float[][] QueryVectors { get; }

    public static string Source(int document) => $"s{document % Sources}";

    public static SyntheticCorpus Generate(int documents, int queries, int dimensions, int seed = 42)
    {
        var random = new Random(seed);
        var clusters = Math.Max(10, documents / 500);
        var vocabulary = Enumerable.Range(0, clusters)
            .Select(c => Enumerable.Range(0, 40).Select(w => Word(random, $"c{c}")).ToArray())
            .ToArray();
        var shared = Enumerable.Range(0, 2000).Select(_ => Word(random, "g")).ToArray();
        using var embedder = new HashingEmbeddingGenerator(dimensions);

        string Text()
        {
            var cluster = vocabulary[random.Next(clusters)];
            var words = Enumerable.Range(0, 18).Select(i => i % 3 == 2 ? shared[random.Next(shared.Length)] : cluster[random.Next(cluster.Length)]);
            return string.Join(' ', words);
        }

        var texts = new string[documents];
        var vectors = new float[documents][];
        for (var i = 0; i < documents; i++)
        {
            texts[i] = Text();
            vectors[i] = embedder.Embed(texts[i]);
        }

        var queryTexts = new string[queries];
        var queryVectors = new float[queries][];
        for (var i = 0; i < queries; i++)
        {
            queryTexts[i] = Text();
            queryVectors[i] = embedder.Embed(queryTexts[i]);
        }

        return new SyntheticCorpus(texts, vectors, queryTexts, queryVectors);
    }

    private static string Word(Random random, string prefix)
    {
        const string letters = "abcdefghijklmnopqrstuvwxyz";
        var length = random.Next(4, 9);
        return prefix + new string(Enumerable.Range(0, length).Select(_ => letters[random.Next(letters.Length)]).ToArray());
    }

    /// <summary>Exact top-k by cosine (vectors are unit length), optionally only among documents of one source.</summary>
    public int[] ExactTopK(float[] query, int k, int? sourceFilter = null)
    {
        var best = new PriorityQueue<int, float>();
        for (var i = 0; i < Vectors.Length; i++)
        {
            if (sourceFilter is { } s && i % Sources != s)
            {
                continue;
            }

            var score = System.Numerics.Tensors.TensorPrimitives.Dot(query, Vectors[i]);
            if (best.Count < k)
            {
                best.Enqueue(i, score);
            }
            else if (best.TryPeek(out _, out var worst) && score > worst)
            {
                best.DequeueEnqueue(i, score);
            }
        }

        var result = new int[best.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = best.Dequeue();
        }

        return result;
    }
}
