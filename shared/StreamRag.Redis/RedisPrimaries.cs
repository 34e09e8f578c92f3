using System.Globalization;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// The servers whose server-wide figures (INFO) describe the data. On a Redis Cluster every master
/// holds only its own slots and fills up on its own, so a figure read from one node describes a
/// part of the data; replicas mirror their masters. On a single server this is that server.
/// </summary>
public static class RedisPrimaries
{
    /// <summary>The connected primaries: the one server, or every master of a cluster.</summary>
    public static IServer[] Of(IConnectionMultiplexer connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var connected = connection.GetServers().Where(s => s.IsConnected).ToArray();
        var primaries = connected.Where(s => !s.IsReplica).ToArray();
        // A configuration that names only a replica still reads that replica's figures.
        return primaries.Length > 0 ? primaries : connected;
    }

    /// <summary>
    /// <c>used_memory</c> and <c>maxmemory</c> of the primary nearest its maxmemory: the one that
    /// refuses writes first (<c>noeviction</c>). With no maxmemory anywhere, the one using the most.
    /// Null when no primary is connected.
    /// </summary>
    public static async Task<(long Used, long Max)?> FullestMemoryAsync(IConnectionMultiplexer connection)
    {
        var figures = await Task.WhenAll(Of(connection).Select(MemoryOfAsync));
        return figures.Length == 0 ? null : Fullest(figures);
    }

    /// <summary>Of several nodes' (used, max) memory figures, the one nearest its maxmemory.</summary>
    public static (long Used, long Max) Fullest(IEnumerable<(long Used, long Max)> nodes) =>
        nodes.OrderByDescending(n => n.Max > 0 ? (double)n.Used / n.Max : 0).ThenByDescending(n => n.Used).First();

    /// <summary><c>used_memory</c> and <c>maxmemory</c> (0 = no limit) of one server.</summary>
    public static async Task<(long Used, long Max)> MemoryOfAsync(IServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return ParseMemory((await server.InfoAsync("memory")).SelectMany(g => g));
    }

    private static (long Used, long Max) ParseMemory(IEnumerable<KeyValuePair<string, string>> info)
    {
        long used = 0, max = 0;
        foreach (var (name, value) in info)
        {
            if (name == "used_memory")
            {
                used = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (name == "maxmemory")
            {
                max = long.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return (used, max);
    }
}
