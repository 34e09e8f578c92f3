using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StreamRag.Contracts;

namespace StreamRag.Query;

/// <summary>
/// Replies to repeated questions without searching again. Exact: keyed by the normalised query,
/// filters, k, mode, search effort, tenant and the tenant's index epoch — any index change moves the
/// epoch, so no cached reply outlives the data it came from. Semantic (optional): a previous query
/// of the same shape whose vector is similar enough counts as the same question.
/// </summary>
internal sealed class QueryCache : IDisposable
{
    private const int SemanticEntriesPerShape = 256;

    private readonly QueryOptions settings;
    private readonly MemoryCache cache;
    private readonly ConcurrentDictionary<string, SemanticBucket> semantic = new(StringComparer.Ordinal);

    public QueryCache(IOptions<QueryOptions> options, TimeProvider time)
    {
        settings = options.Value;
        cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = Math.Max(1, settings.CacheEntries), Clock = new TimeProviderClock(time) });
    }

    public bool Enabled => settings.CacheEntries > 0 && settings.CacheTtl > TimeSpan.Zero;

    /// <summary>Everything but the query text that decides the results.</summary>
    public static string Shape(QueryRequest request, int ef, long epoch) =>
        string.Join('\u001f', request.Tenant, epoch, request.K, request.Mode, ef, Canonical(request.Filters));

    public static string Normalize(string query) =>
        string.Join(' ', query.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The exact-cache key of a ready vector (its bytes, hashed).</summary>
    public static string VectorKey(ReadOnlySpan<float> vector) =>
        "vec:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector)));

    public CachedAnswer? Find(string shape, string normalizedQuery, ReadOnlySpan<float> vector)
    {
        if (cache.TryGetValue(shape + '\u001e' + normalizedQuery, out CachedAnswer? exact))
        {
            return exact;
        }

        return settings.SemanticCache && semantic.TryGetValue(shape, out var bucket) ? bucket.Find(vector, settings.SemanticCacheSimilarity) : null;
    }

    public void Store(string shape, string normalizedQuery, ReadOnlyMemory<float> vector, CachedAnswer answer)
    {
        cache.Set(shape + '\u001e' + normalizedQuery, answer, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = settings.CacheTtl });
        if (settings.SemanticCache)
        {
            // Shapes carry the epoch, so buckets of old epochs are dropped instead of growing forever.
            if (semantic.Count > 1024)
            {
                semantic.Clear();
            }

            semantic.GetOrAdd(shape, _ => new SemanticBucket()).Add(vector.ToArray(), answer);
        }
    }

    private static string Canonical(QueryFilters f) =>
        $"{string.Join(',', f.Sources.Order(StringComparer.Ordinal))}|{string.Join(',', f.TagsAny.Order(StringComparer.Ordinal))}|"
        + $"{string.Join(',', f.TagsAll.Order(StringComparer.Ordinal))}|{f.From?.ToUnixTimeMilliseconds()}|{f.To?.ToUnixTimeMilliseconds()}";

    public void Dispose() => cache.Dispose();

    private sealed class SemanticBucket
    {
        private readonly Lock gate = new();
        private readonly Queue<(float[] Vector, CachedAnswer Answer)> recent = new();

        public void Add(float[] vector, CachedAnswer answer)
        {
            lock (gate)
            {
                if (recent.Count == SemanticEntriesPerShape)
                {
                    recent.Dequeue();
                }

                recent.Enqueue((vector, answer));
            }
        }

        /// <summary>The exact-cache key of a ready vector (its bytes, hashed).</summary>
    public static string VectorKey(ReadOnlySpan<float> vector) =>
        "vec:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector)));

    public CachedAnswer? Find(ReadOnlySpan<float> vector, double threshold)
        {
            lock (gate)
            {
                CachedAnswer? best = null;
                var bestScore = threshold;
                foreach (var (candidate, answer) in recent)
                {
                    var score = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(vector, candidate);
                    if (score >= bestScore)
                    {
                        (best, bestScore) = (answer, score);
                    }
                }

                return best;
            }
        }
    }

    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}

/// <summary>A reply's results and answer, as cached.</summary>
internal sealed record CachedAnswer(IReadOnlyList<QueryResult> Results, QueryAnswer? Answer);
