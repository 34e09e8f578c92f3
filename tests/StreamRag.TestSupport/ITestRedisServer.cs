using StackExchange.Redis;

namespace StreamRag.TestSupport;

/// <summary>A Redis server tests run against (the shared Redis 8, or a Query Engine server).</summary>
public interface ITestRedisServer
{
    /// <summary>StackExchange.Redis configuration string of the server.</summary>
    string Configuration { get; }

    ConnectionMultiplexer Connection { get; }

    /// <summary>
    /// Index partitions per tenant (<c>Redis:Shards</c>) the scenarios run with: 3 on a Redis
    /// Cluster, so a tenant's partitions land on different nodes; else 1.
    /// </summary>
    int Shards => 1;
}
