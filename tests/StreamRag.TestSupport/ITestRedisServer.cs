using StackExchange.Redis;

namespace StreamRag.TestSupport;

/// <summary>A Redis server tests run against (the shared Redis 8, or a Query Engine server).</summary>
public interface ITestRedisServer
{
    /// <summary>StackExchange.Redis configuration string of the server.</summary>
    string Configuration { get; }

    ConnectionMultiplexer Connection { get; }
}
