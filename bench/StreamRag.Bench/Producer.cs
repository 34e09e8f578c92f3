using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>
/// The bench's own producer: upserts <c>{idPrefix}{first}</c>…<c>{idPrefix}{first+n-1}</c> (texts of
/// the same numbers; tenant <c>default</c>) as raw XADDs, pipelined 1,000 at a time, each to its
/// document's stream partition.
/// </summary>
internal static class Producer
{
    public static async Task PostAsync(IDatabase db, KeySchema keys, IReadOnlyList<string> texts, int n, string idPrefix = "d", int first = 0)
    {
        for (var start = first; start < first + n; start += 1000)
        {
            var batch = db.CreateBatch();
            var adds = Enumerable.Range(start, Math.Min(1000, first + n - start)).Select(i =>
            {
                var id = $"{idPrefix}{i}";
                return batch.StreamAddAsync(keys.DocumentEventsOf(DocumentEventParser.DefaultTenant, id),
                [
                    new("id", id), new("version", 1), new("source", SyntheticCorpus.Source(i)), new("content", texts[i]),
                ]);
            }).ToArray();
            batch.Execute();
            await Task.WhenAll(adds);
        }
    }
}
