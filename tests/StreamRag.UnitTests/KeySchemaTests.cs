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
}
