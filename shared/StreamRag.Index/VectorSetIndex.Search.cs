using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// Searches. On Redis ≥ 8.2 one <c>VSIM … WITHSCORES WITHATTRIBS</c> per partition returns each hit
/// whole (its attributes carry the passage text and the document's metadata), so a search reads
/// nothing else. On Redis 8.0, which has no WITHATTRIBS, and for an element written before the
/// attributes carried the text, the hit is read from its document hash (one HMGET per hit, pipelined).
/// </summary>
public sealed partial class VectorSetIndex
{
    /// <summary>VSIM takes WITHATTRIBS since Redis 8.2.</summary>
    private static readonly Version AttributeReadsSince = new(8, 2);

    /// <summary>Whether every one of <paramref name="servers"/> (at least one) takes VSIM WITHATTRIBS.</summary>
    internal static bool TakeWithAttribs(IServer[] servers) => servers.Length > 0 && servers.All(s => s.Version >= AttributeReadsSince);

    private readonly Lazy<Task<bool>> attributeReads;

    /// <summary>Reads every hit from the document hashes, as on Redis 8.0 (tests compare the two paths).</summary>
    internal bool HashReadsOnly { get; init; }

    /// <summary>Whether searches take their hits from VSIM's attributes (decided once, from the servers' versions).</summary>
    internal async Task<bool> ReadsAttributesAsync() => !HashReadsOnly && await attributeReads.Value;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Vector.Length != settings.Dimensions)
        {
            throw new DimensionMismatchException(settings.Dimensions, query.Vector.Length);
        }

        var filter = VectorSetFilter.Build(query.Filters);
        var layout = (await layoutSource.GetAsync(cancellationToken)).Current;
        var withAttributes = await ReadsAttributesAsync();
        var partitions = layout.PartitionsOf(keys, query.Tenant).ToArray();
        var db = await connections.GetSearchDatabaseAsync();
        var searches = new Task<Candidate[]>[partitions.Length];
        for (var i = 0; i < partitions.Length; i++)
        {
            searches[i] = SearchPartitionAsync(db, partitions[i], query, filter, withAttributes);
        }

        var found = partitions.Length == 1 ? await searches[0] : (await Task.WhenAll(searches)).SelectMany(x => x)
            .OrderByDescending(h => h.Score)
            .Take(query.K)
            .ToArray();
        return await ToHitsAsync(layout, query.Tenant, found, cancellationToken);
    }

    /// <summary>The hits from their attributes where these carry the text, the rest from the document hashes; in rank order.</summary>
    private async Task<IReadOnlyList<SearchHit>> ToHitsAsync(IndexLayout layout, string tenant, Candidate[] found, CancellationToken cancellationToken)
    {
        var hits = new SearchHit?[found.Length];
        List<int>? unread = null;
        for (var i = 0; i < found.Length; i++)
        {
            var (doc, chunk) = ParseMember(found[i].Member);
            hits[i] = found[i].Attributes is { } json ? VectorSetAttributes.ToHit(doc, chunk, found[i].Score, json) : null;
            if (hits[i] is null)
            {
                (unread ??= new List<int>(found.Length)).Add(i);
            }
        }

        if (unread is not null)
        {
            await HydrateAsync(await DatabaseAsync(), layout, tenant, found, unread, hits, cancellationToken);
        }

        var result = new List<SearchHit>(found.Length);
        foreach (var hit in hits)
        {
            if (hit is not null)
            {
                result.Add(hit);
            }
        }

        return result;
    }

    private async Task<Candidate[]> SearchPartitionAsync(IDatabase db, IndexPartition partition, VectorQuery query, string? filter, bool withAttributes)
    {
        var request = VectorSetSimilaritySearchRequest.ByVector(query.Vector);
        request.Count = query.K;
        request.WithScores = true;
        request.WithAttributes = withAttributes;
        request.SearchExplorationFactor = query.Ef ?? settings.DefaultEf;
        request.UseExactSearch = query.Exact;
        if (filter is not null)
        {
            request.FilterExpression = filter;
        }

        using var lease = await db.VectorSetSimilaritySearchAsync(partition.VectorSet, request);
        if (lease is null)
        {
            return [];
        }

        var found = new Candidate[lease.Length];
        var span = lease.Span;
        for (var i = 0; i < span.Length; i++)
        {
            found[i] = new Candidate((string)span[i].Member!, span[i].Score, span[i].AttributesJson);
        }

        return found;
    }

    /// <summary>Reads the texts and metadata of the hits at <paramref name="unread"/> from their document hashes, in one pipelined round trip.</summary>
    private async Task HydrateAsync(IDatabase db, IndexLayout layout, string tenant, Candidate[] found, List<int> unread, SearchHit?[] hits, CancellationToken cancellationToken)
    {
        var reads = new Task<RedisValue[]>[unread.Count];
        for (var j = 0; j < unread.Count; j++)
        {
            var (doc, chunk) = ParseMember(found[unread[j]].Member);
            reads[j] = db.HashGetAsync(layout.PartitionOf(keys, tenant, doc).Document(doc), [DocumentFields.Passage(chunk), DocumentFields.Source, DocumentFields.Timestamp, DocumentFields.Tags]);
        }

        for (var j = 0; j < unread.Count; j++)
        {
            var values = await reads[j].WaitAsync(cancellationToken);
            if (values[0].IsNull)
            {
                // Replaced or deleted between the search and this read: the element is gone too.
                continue;
            }

            var i = unread[j];
            var (doc, chunk) = ParseMember(found[i].Member);
            var tags = (string?)values[3];
            hits[i] = new SearchHit(
                doc,
                chunk,
                found[i].Score,
                (string)values[0]!,
                (string?)values[1] ?? "",
                DateTimeOffset.FromUnixTimeMilliseconds((long)values[2]),
                string.IsNullOrEmpty(tags) ? [] : tags.Split(','));
        }
    }

    private async Task<bool> DetectAttributeReadsAsync()
    {
        // Every server a search may reach must take WITHATTRIBS; a server not yet seen reports the
        // client's default version, which is older, so the answer errs towards the 8.0 path.
        var servers = (await connections.GetSearchDatabaseAsync()).Multiplexer.GetServers();
        var reads = TakeWithAttribs(servers);
        Log.SearchReads(logger, reads ? "VSIM WITHATTRIBS" : "the document hashes (HMGET)", string.Join(", ", servers.Select(s => s.Version).Distinct()));
        return reads;
    }

    /// <summary>An element name <c>docId#chunk</c> split into its parts (a document id may itself contain '#').</summary>
    private static (string Doc, int Chunk) ParseMember(string member)
    {
        var hash = member.LastIndexOf('#');
        return (member[..hash], int.Parse(member.AsSpan(hash + 1), CultureInfo.InvariantCulture));
    }

    /// <summary>One element VSIM returned: its name, score and, with WITHATTRIBS, its attributes.</summary>
    private readonly record struct Candidate(string Member, double Score, string? Attributes);
}
