using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Telemetry;

namespace StreamRag.Query;

/// <summary>
/// Embeds query texts as queries (<see cref="EmbeddingInput.ForQuery"/>: the model's query prefix,
/// where it has one) and keeps the most recently used vectors, so a repeated question skips the model.
/// The cache is keyed by the model and the query with its whitespace collapsed; that normalised text
/// is also what is embedded, so a cached vector is exactly the one the model would give again.
/// </summary>
internal sealed class QueryEmbedder
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> generator;
    private readonly LruCache<string, ReadOnlyMemory<float>>? cache;
    private readonly string model;
    private readonly Counter<long> lookups;
    private readonly TimeProvider time;

    public QueryEmbedder(IEmbeddingGenerator<string, Embedding<float>> generator, IOptions<QueryOptions> options, IMeterFactory meters, TimeProvider time)
    {
        this.generator = generator;
        this.time = time;
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        model = $"{metadata?.ProviderName}/{metadata?.DefaultModelId}";
        var entries = options.Value.EmbeddingCacheEntries;
        cache = entries > 0 ? new LruCache<string, ReadOnlyMemory<float>>(entries) : null;
        lookups = meters.Create(StreamRagTelemetry.MeterName).Counter<long>(Instruments.QueryHost.EmbeddingCache);
    }

    /// <summary>Vectors currently cached.</summary>
    public int Cached => cache?.Count ?? 0;

    /// <summary>
    /// A request's query vector: the one it carries, or its question embedded (in an <c>embed</c> span);
    /// with the milliseconds that took, for the reply's timings.
    /// </summary>
    public async Task<(ReadOnlyMemory<float> Vector, double EmbedMs)> VectorOfAsync(QueryRequest request, CancellationToken cancellationToken)
    {
        if (request.Vector is { } given)
        {
            return (given, 0);
        }

        var started = time.GetTimestamp();
        using var span = StreamRagTelemetry.Source.StartActivity(SpanNames.Embed);
        var vector = await EmbedAsync(request.Query, cancellationToken);
        return (vector, time.GetElapsedTime(started).TotalMilliseconds);
    }

    public async Task<ReadOnlyMemory<float>> EmbedAsync(string query, CancellationToken cancellationToken)
    {
        var text = Normalize(query);
        var key = model + '\u001f' + text;
        if (cache?.TryGet(key, out var cached) == true)
        {
            lookups.Add(1, new KeyValuePair<string, object?>("result", "hit"));
            return cached;
        }

        var vector = await generator.GenerateVectorAsync(text, EmbeddingInput.ForQuery(), cancellationToken);
        if (cache is not null)
        {
            lookups.Add(1, new KeyValuePair<string, object?>("result", "miss"));
            cache.Set(key, vector);
        }

        return vector;
    }

    /// <summary>Trimmed, runs of whitespace as one space: differences no tokenizer keeps.</summary>
    public static string Normalize(string query) =>
        string.Join(' ', query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>A bounded map that forgets the least recently used entry when full. Thread-safe.</summary>
internal sealed class LruCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly Lock gate = new();
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> map = new(capacity);
    private readonly LinkedList<(TKey Key, TValue Value)> order = new();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return map.Count;
            }
        }
    }

    public bool TryGet(TKey key, out TValue value)
    {
        lock (gate)
        {
            if (map.TryGetValue(key, out var node))
            {
                order.Remove(node);
                order.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    public void Set(TKey key, TValue value)
    {
        lock (gate)
        {
            if (map.TryGetValue(key, out var existing))
            {
                order.Remove(existing);
            }
            else if (map.Count >= capacity)
            {
                map.Remove(order.Last!.Value.Key);
                order.RemoveLast();
            }

            map[key] = order.AddFirst((key, value));
        }
    }
}
