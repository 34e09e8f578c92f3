using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>The bench's own producer: upserts <c>d0</c>…<c>d{n-1}</c> as raw XADDs, pipelined 1,000 at a time.</summary>
internal static class Producer
{
    public static async Task PostAsync(IDatabase db, KeySchema keys, IReadOnlyList<string> texts, int n)
    {
        for (var start = 0; start < n; start += 1000)
        {
            var batch = db.CreateBatch();
            var adds = Enumerable.Range(start, Math.Min(1000, n - start)).Select(i => batch.StreamAddAsync(keys.DocumentEvents,
            [
                new("id", $"d{i}"), new("version", 1), new("source", SyntheticCorpus.Source(i)), new("content", texts[i]),
            ])).ToArray();
            batch.Execute();
            await Task.WhenAll(adds);
        }
    }
}
