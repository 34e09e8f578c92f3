using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.UnitTests;

public sealed class KeySchemaTests
{
    private static string HashTag(string key) => key[(key.IndexOf('{', StringComparison.Ordinal) + 1)..key.IndexOf('}', StringComparison.Ordinal)];

    [Fact]
    public void StreamAndItsDeadLetters_ShareAHashSlot()
    {
        var keys = new KeySchema("rag", 1);

        Assert.Equal(HashTag(keys.DocumentEvents!), HashTag(keys.DocumentDeadLetters!));
        Assert.Equal(HashTag(keys.QueryRequests!), HashTag(keys.QueryDeadLetters!));
    }

    [Fact]
    public void PartitionKeys_ShareAHashSlot()
    {
        var p = new KeySchema("rag", 4).PartitionOf("acme", "doc-1");

        var tags = new[] { p.VectorSet.ToString(), p.Document("doc-1").ToString(), p.ExpiryIndex.ToString(), p.Epoch.ToString() }.Select(HashTag).Distinct();

        Assert.Single(tags);
    }

    [Fact]
    public void PartitionOf_IsStableAndSpreadsDocuments()
    {
        var keys = new KeySchema("rag", 4);

        Assert.Equal(keys.PartitionOf("t", "doc-7"), keys.PartitionOf("t", "doc-7"));
        var shards = Enumerable.Range(0, 200).Select(i => keys.PartitionOf("t", $"doc-{i}").Shard).Distinct().Count();
        Assert.Equal(4, shards);
    }

    [Fact]
    public void Tenants_HaveSeparateVectorSets()
    {
        var keys = new KeySchema("rag", 1);

        Assert.NotEqual(keys.PartitionOf("a", "d").VectorSet, keys.PartitionOf("b", "d").VectorSet);
    }

    // Fixed vectors: /usr/bin/python3 -c 'import zlib; print(zlib.crc32(b"default\ndoc-1"))' and so
    // on. The first one is the worked example of docs/contract.md ("Stream partitions").
    [Theory]
    [InlineData("default", "doc-1", 1205150499u)]
    [InlineData("default", "doc-2", 3738989209u)]
    [InlineData("acme", "handbook/ch-1", 3631258606u)]
    [InlineData("default", "é-ü", 4278472778u)]
    [InlineData("t", "", 3932112659u)]
    public void StreamPartitionOf_IsCrc32OfTenantNewlineId_ModuloPartitions(string tenant, string id, uint crc32)
    {
        foreach (var partitions in new[] { 2, 3, 4, 7, 64 })
        {
            Assert.Equal((int)(crc32 % (uint)partitions), KeySchema.StreamPartitionOf(tenant, id, partitions));
        }

        Assert.Equal(0, KeySchema.StreamPartitionOf(tenant, id, 1));
    }

    [Fact]
    public void StreamPartitionOf_WorkedExampleOfTheContract()
    {
        // docs/contract.md: crc32("default\ndoc-1") = 1205150499; 1205150499 mod 3 = 0.
        Assert.Equal(0, KeySchema.StreamPartitionOf("default", "doc-1", 3));
        Assert.Equal("rag:{docs.p0}:events", new KeySchema("rag", 1, 3).DocumentEventsOf("default", "doc-1").ToString());
        Assert.Equal("rag:{docs.p1}:events", new KeySchema("rag", 1, 3).DocumentEventsOf("default", "doc-2").ToString());
    }

    [Fact]
    public void OnePartition_KeepsTheUnpartitionedNames()
    {
        var keys = new KeySchema("rag", 1, 1);

        Assert.Equal("rag:{docs}:events", keys.DocumentEvents.ToString());
        Assert.Equal("rag:{docs}:dead", keys.DocumentDeadLetters.ToString());
        Assert.Equal("rag:{queries}:requests", keys.QueryRequests.ToString());
        Assert.Equal("rag:{queries}:dead", keys.QueryDeadLetters.ToString());
        Assert.Equal("rag:{docs}:events", keys.DocumentEventsOf("acme", "x").ToString());
        Assert.Equal([(RedisKey)"rag:{queries}:requests"], keys.QueryRequestStreams.Select(p => p.Stream));
    }

    [Fact]
    public void Partitions_HaveDistinctHashTags_EachSharedWithItsDeadLetters()
    {
        var keys = new KeySchema("rag", 1, 3);

        Assert.Equal(["rag:{docs.p0}:events", "rag:{docs.p1}:events", "rag:{docs.p2}:events"], keys.DocumentEventStreams.Select(p => p.Stream.ToString()));
        Assert.Equal(["rag:{queries.p0}:requests", "rag:{queries.p1}:requests", "rag:{queries.p2}:requests"], keys.QueryRequestStreams.Select(p => p.Stream.ToString()));
        foreach (var p in keys.DocumentEventStreams.Concat(keys.QueryRequestStreams))
        {
            Assert.Equal(HashTag(p.Stream!), HashTag(p.DeadLetters!));
        }

        Assert.Equal(6, keys.DocumentEventStreams.Concat(keys.QueryRequestStreams).Select(p => HashTag(p.Stream!)).Distinct().Count());
        // An unqualified name would silently pick one partition: it refuses instead.
        Assert.Throws<InvalidOperationException>(() => keys.DocumentEvents);
        Assert.Throws<InvalidOperationException>(() => keys.QueryRequests);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void StreamPartitions_OutOfRange_AreRefused(int partitions)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeySchema("rag", 1, partitions));
    }

    [Fact]
    public void StreamPartitionOf_KeepsEveryEventOfADocumentTogether_AndSpreadsDocuments()
    {
        var spread = Enumerable.Range(0, 300).Select(i => KeySchema.StreamPartitionOf("default", $"doc-{i}", 3)).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(3, spread.Count);
        Assert.All(spread.Values, n => Assert.InRange(n, 70, 130));
        Assert.NotEqual(KeySchema.StreamPartitionOf("a", "doc-1", 64), KeySchema.StreamPartitionOf("b", "doc-1", 64));
    }
}
