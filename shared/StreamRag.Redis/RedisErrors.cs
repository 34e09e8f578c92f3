using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>Tells failures that pass by themselves (connection, timeout, server busy or full) from ones that never will.</summary>
public static class RedisErrors
{
    // Server replies that describe a state of the server, not of the command: retrying later can succeed.
    // MOVED and ASK reach a caller only while a cluster's slots are changing owner (a failover, a
    // reshard) faster than the client follows them.
    private static readonly string[] TransientPrefixes = ["OOM", "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "READONLY", "NOREPLICAS", "MOVED ", "ASK "];

    public static bool IsTransient(Exception exception) => exception switch
    {
        RedisServerException server => TransientPrefixes.Any(p => server.Message.StartsWith(p, StringComparison.Ordinal)),
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        RedisException => true,
        _ => false,
    };
}
