using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>
/// The experiment behind the spam guards (<c>./bench.sh --reachability</c>; docs/faults.md): the demo
/// corpus (18 passages, hashing-v1) in one vector set together with many copies of one vector,
/// inserted before, after or shuffled among the corpus; then the bundled questions (top 3,
/// unfiltered and filtered to the corpus' source) and every corpus passage searched by its own
/// vector (<c>VSIM ELE</c>). Raw: VADD as given. Guarded: each copy is a document of its own through
/// the embedder's passage rules and <see cref="VectorSetIndex"/> (<c>Index:MaxDuplicatePassages</c>).
/// </summary>
internal static class Reachability
{
    private const int Trials = 5;

    public static async Task<int> RunAsync(string root)
    {
        var embedder = new HashingEmbeddingGenerator(384);
        var chunker = new TextChunker(200, 40);
        var documents = Directory.GetFiles(Path.Combine(root, "demo", "corpus"), "*.md").Order(StringComparer.Ordinal)
            .Select(f => (Id: Path.GetFileNameWithoutExtension(f), Passages: chunker.Split(File.ReadAllText(f)).Select(c => embedder.Embed(c.Text)).ToArray()))
            .ToArray();
        var corpus = documents.SelectMany(d => d.Passages.Select((_, i) => $"{d.Id}#{i}")).ToArray();
        var questions = File.ReadAllLines(Path.Combine(root, "demo", "questions.tsv")).Where(l => l.Contains('\t', StringComparison.Ordinal))
            .Select(l => l.Split('\t')).Select(p => (Vector: embedder.Embed(p[0]), Expected: p[1])).ToArray();
        var spamPassage = string.Concat(Enumerable.Repeat("spam ", 199));
        var random = new Random(7);
        var copies = new (string Name, Func<int, float[]> Make)[]
        {
            ("identical (one passage of spam)", _ => embedder.Embed(spamPassage + "spam")),
            ("near-identical (one word differs)", _ => embedder.Embed(spamPassage + new string(Enumerable.Range(0, 6).Select(_ => (char)('a' + random.Next(26))).ToArray()))),
            ("stop words only (hashing: one vector)", i => embedder.Embed(i % 2 == 0 ? "it is what it is" : "to be or not to be")),
            ("zero vectors", _ => new float[384]),
        };

        await using var fleet = await Fleet.StartRedisAsync(root);
        await using var connections = new RedisConnections(Options.Create(new RedisOptions { Configuration = fleet.Configuration, KeyPrefix = "reach" }));
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var keys = new KeySchema("reach", 1);
        var vset = keys.PartitionOf("default", "x").VectorSet;

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Reachability — demo corpus ({corpus.Length} passages, hashing-v1) + N copies, M 16, EF build 200, EF search 100; worst of {Trials} insertion orders (corpus first, copies first, 3 shuffles)");
        table.AppendLine();
        table.AppendLine("| copies | N | quantization | path | questions found, unfiltered | filtered by source | fewest filtered results | passages that find themselves |");
        table.AppendLine("|---|---:|---|---|---:|---:|---:|---:|");
        foreach (var (name, make) in copies)
        {
            foreach (var n in new[] { 32, 128, 256, 1250 })
            {
                var vectors = Enumerable.Range(0, n).Select(make).ToArray();
                foreach (var quantization in new[] { "Q8", "NOQUANT" })
                {
                    foreach (var guarded in new[] { false, true })
                    {
                        var worst = new Outcome(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue);
                        for (var trial = 0; trial < Trials; trial++)
                        {
                            await db.ExecuteAsync("FLUSHDB");
                            var index = new VectorSetIndex(connections, keys, Options.Create(new IndexOptions { Quantization = quantization }));
                            foreach (var (isCorpus, i) in Order(documents.Length, n, trial))
                            {
                                var (id, passages, source) = isCorpus ? (documents[i].Id, documents[i].Passages, "demo") : ($"copy-{i}", [vectors[i]], "spam");
                                if (guarded)
                                {
                                    await UpsertAsync(index, id, passages, source);
                                    continue;
                                }

                                for (var p = 0; p < passages.Length; p++)
                                {
                                    await db.ExecuteAsync("VADD", vset, "FP32", Blob(passages[p]), $"{id}#{p}", quantization, "EF", 200, "SETATTR", $"{{\"source\":\"{source}\"}}", "M", 16);
                                }
                            }

                            worst = worst.Min(await MeasureAsync(db, vset, corpus, questions));
                        }

                        var line = string.Create(CultureInfo.InvariantCulture,
                                            $"| {name} | {n} | {quantization} | {(guarded ? "guarded" : "raw VADD")} | {worst.Unfiltered}/{questions.Length} | {worst.Filtered}/{questions.Length} | {worst.FewestFiltered} | {worst.SelfFound}/{corpus.Length} |");
                        Console.WriteLine(line);
                        table.AppendLine(line);
                    }
                }
            }
        }

        var outDir = Path.Combine(root, "bench-results");
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "reachability.md"), table.ToString());
        Console.WriteLine();
        Console.WriteLine(table);
        return 0;
    }

    /// <summary>Insertion order of one trial: the corpus first, the copies first, or shuffled (fixed seeds).</summary>
    private static (bool Corpus, int Index)[] Order(int corpus, int copies, int trial)
    {
        var items = Enumerable.Range(0, corpus).Select(i => (true, i)).Concat(Enumerable.Range(0, copies).Select(i => (false, i))).ToArray();
        return trial switch
        {
            0 => items,
            1 => items.OrderBy(x => x.Item1).ToArray(),
            _ => items.Shuffled(trial),
        };
    }

    private static T[] Shuffled<T>(this T[] items, int seed)
    {
        new Random(seed).Shuffle(items);
        return items;
    }

    /// <summary>One document through the embedder's passage rules (<see cref="Passages.DistinctVectors"/>) and the index.</summary>
    private static async Task UpsertAsync(VectorSetIndex index, string id, float[][] passages, string source)
    {
        var kept = Passages.DistinctVectors(passages.Select(p => (ReadOnlyMemory<float>)p).ToArray(), IndexOptions.NearDuplicateCosine).Kept;
        var chunks = kept.Select((k, i) => new IndexedChunk(i, $"passage {i}", passages[k])).ToArray();
        await index.UpsertAsync(new IndexedDocument("default", id, 1, "h", source, DateTimeOffset.UnixEpoch, [], null, chunks), CancellationToken.None);
    }

    private static async Task<Outcome> MeasureAsync(IDatabase db, RedisKey vset, string[] corpus, (float[] Vector, string Expected)[] questions)
    {
        int unfiltered = 0, filtered = 0, fewest = int.MaxValue, self = 0;
        foreach (var (vector, expected) in questions)
        {
            var all = Names(await db.ExecuteAsync("VSIM", vset, "FP32", Blob(vector), "COUNT", 3, "EF", 100));
            var demo = Names(await db.ExecuteAsync("VSIM", vset, "FP32", Blob(vector), "COUNT", 3, "EF", 100, "FILTER", ".source == \"demo\""));
            unfiltered += all.Any(n => n.StartsWith(expected + "#", StringComparison.Ordinal)) ? 1 : 0;
            filtered += demo.Any(n => n.StartsWith(expected + "#", StringComparison.Ordinal)) ? 1 : 0;
            fewest = Math.Min(fewest, demo.Length);
        }

        foreach (var element in corpus)
        {
            self += Names(await db.ExecuteAsync("VSIM", vset, "ELE", element, "COUNT", 3, "EF", 100)).Contains(element) ? 1 : 0;
        }

        return new Outcome(unfiltered, filtered, fewest, self);
    }

    private static string[] Names(RedisResult result) => ((RedisResult[])result!).Select(r => (string)r!).ToArray();

    private static byte[] Blob(float[] vector) => MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();

    private sealed record Outcome(int Unfiltered, int Filtered, int FewestFiltered, int SelfFound)
    {
        public Outcome Min(Outcome other) =>
            new(Math.Min(Unfiltered, other.Unfiltered), Math.Min(Filtered, other.Filtered), Math.Min(FewestFiltered, other.FewestFiltered), Math.Min(SelfFound, other.SelfFound));
    }
}
