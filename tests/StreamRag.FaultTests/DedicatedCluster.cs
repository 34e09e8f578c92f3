using System.Globalization;
using System.Net;
using StackExchange.Redis;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// A Redis Cluster of 3 masters and 3 replicas of one test's own (deploy/redis.sh cluster), so it
/// can be hurt: masters killed (<see cref="ClusterFailoverTests"/>), slots moved between masters
/// (<see cref="ClusterReshardTests"/>).
/// </summary>
internal sealed class DedicatedCluster : ITestRedisServer, IAsyncDisposable
{
    // Failover within a few seconds: a master is marked failed after 2 s without answering.
    private static readonly string[] NodeArgs = ["--appendonly", "no", "--maxmemory", "512mb", "--cluster-node-timeout", "2000"];

    private DedicatedCluster(int port, string directory, string configuration, ConnectionMultiplexer connection)
    {
        (Port, Directory, Configuration, Connection) = (port, directory, configuration, connection);
    }

    public int Port { get; }

    public string Directory { get; }

    public string Configuration { get; }

    /// <summary>An admin connection (CLUSTER, INFO, MIGRATE on a chosen node).</summary>
    public ConnectionMultiplexer Connection { get; }

    public int Shards => 3;

    public static async Task<DedicatedCluster> StartAsync()
    {
        var port = LoopbackPorts.Range(6, busOffset: 10000);
        var directory = System.IO.Directory.CreateTempSubdirectory("streamrag-cluster-").FullName;
        var seeds = (await RedisServerFixture.RunScriptAsync(["cluster", port.ToString(CultureInfo.InvariantCulture), directory, .. NodeArgs])).Trim();
        var options = ConfigurationOptions.Parse(seeds);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = false;
        return new DedicatedCluster(port, directory, seeds, await ConnectionMultiplexer.ConnectAsync(options));
    }

    /// <summary>Until the other nodes have marked <paramref name="killed"/> failed and every slot is served again (its replica promoted).</summary>
    public Task WaitFailedOverAsync(EndPoint killed) =>
        EventuallyAsync(async () =>
        {
            foreach (var server in Connection.GetServers().Where(s => !Equals(s.EndPoint, killed) && s.IsConnected))
            {
                try
                {
                    var info = (string)(await server.ExecuteAsync("CLUSTER", "INFO"))!;
                    var port = killed.ToString()!.Split(':')[^1];
                    // "fail" once the others agree it is down ("fail?" is one node's suspicion).
                    var flags = (await NodesAsync(server)).FirstOrDefault(n => n.Port.ToString(CultureInfo.InvariantCulture) == port)?.Flags;
                    return info.Contains("cluster_state:ok", StringComparison.Ordinal) && flags is not null && flags.Contains("fail");
                }
                catch (RedisException)
                {
                }
            }

            return false;
        }, "the killed master's replica is promoted", TimeSpan.FromSeconds(60));

    /// <summary>Starts the nodes that are down again; returns once every slot is served and every replica is in sync.</summary>
    public Task RepairAsync() =>
        RedisServerFixture.RunScriptAsync(["cluster", Port.ToString(CultureInfo.InvariantCulture), Directory, .. NodeArgs]);

    /// <summary>The slot of a key or hash tag (<c>CLUSTER KEYSLOT</c>).</summary>
    public async Task<int> KeySlotAsync(string key) =>
        (int)await AnyServer().ExecuteAsync("CLUSTER", "KEYSLOT", key);

    /// <summary>The masters, with the slots each owns, as every node should see them once gossip settled.</summary>
    public async Task<IReadOnlyList<ClusterNode>> MastersAsync() =>
        (await NodesAsync(AnyServer())).Where(n => n.Flags.Contains("master") && !n.Flags.Contains("fail")).OrderBy(n => n.Port).ToArray();

    public async Task<ClusterNode> OwnerOfAsync(int slot) => (await MastersAsync()).Single(n => n.Owns(slot));

    /// <summary>
    /// <c>redis-cli --cluster reshard</c> (the redis-cli matching the server, through
    /// <c>deploy/redis.sh cli</c>): moves <paramref name="slots"/> slots, the lowest
    /// <paramref name="from"/> owns, to <paramref name="to"/>, with their keys. Returns its output.
    /// </summary>
    public Task<string> ReshardAsync(ClusterNode from, ClusterNode to, int slots) =>
        RedisServerFixture.RunScriptAsync("cli", "--cluster", "reshard", $"127.0.0.1:{Port}",
            "--cluster-from", from.Id, "--cluster-to", to.Id, "--cluster-slots", slots.ToString(CultureInfo.InvariantCulture),
            "--cluster-yes");

    /// <summary>
    /// Moves one slot to <paramref name="to"/> by hand, the way <c>redis-cli --cluster reshard</c>
    /// does it for each slot, but slowly: <c>SETSLOT IMPORTING</c> on the target, <c>MIGRATING</c>
    /// on the owner, the keys <c>MIGRATE</c>d <paramref name="keysPerBatch"/> at a time with
    /// <paramref name="pause"/> between batches (so the slot stays half moved while the fleet uses
    /// it: commands on moved keys are redirected with ASK, scripts over keys on both sides get
    /// TRYAGAIN), then <c>SETSLOT NODE</c> on the target, the owner and the other masters.
    /// </summary>
    /// <returns>The number of keys moved.</returns>
    public async Task<int> MoveSlotAsync(int slot, ClusterNode to, int keysPerBatch, TimeSpan pause)
    {
        ArgumentNullException.ThrowIfNull(to);
        var from = await OwnerOfAsync(slot);
        if (from.Id == to.Id)
        {
            throw new ArgumentException($"slot {slot} is already on {to}", nameof(to));
        }

        var source = Server(from);
        var target = Server(to);
        var s = slot.ToString(CultureInfo.InvariantCulture);
        await target.ExecuteAsync("CLUSTER", "SETSLOT", s, "IMPORTING", from.Id);
        await source.ExecuteAsync("CLUSTER", "SETSLOT", s, "MIGRATING", to.Id);
        var moved = 0;
        while (true)
        {
            await Task.Delay(pause, Ct);
            var keys = (RedisResult[])(await source.ExecuteAsync("CLUSTER", "GETKEYSINSLOT", s, keysPerBatch.ToString(CultureInfo.InvariantCulture)))!;
            if (keys.Length == 0)
            {
                break;
            }

            object[] migrate = ["127.0.0.1", to.Port.ToString(CultureInfo.InvariantCulture), "", "0", "10000", "KEYS", .. keys.Select(k => (object)(string)k!)];
            await source.ExecuteAsync("MIGRATE", migrate);
            moved += keys.Length;
        }

        await target.ExecuteAsync("CLUSTER", "SETSLOT", s, "NODE", to.Id);
        await source.ExecuteAsync("CLUSTER", "SETSLOT", s, "NODE", to.Id);
        foreach (var other in (await MastersAsync()).Where(m => m.Id != from.Id && m.Id != to.Id))
        {
            await Server(other).ExecuteAsync("CLUSTER", "SETSLOT", s, "NODE", to.Id);
        }

        return moved;
    }

    /// <summary>Until every node agrees <paramref name="slot"/> is served by <paramref name="owner"/> and no slot is open.</summary>
    public Task WaitSlotSettledAsync(int slot, ClusterNode owner) =>
        EventuallyAsync(async () =>
        {
            foreach (var server in Connection.GetServers())
            {
                var nodes = await NodesAsync(server);
                if (nodes.Single(n => n.Flags.Contains("master") && n.Owns(slot)).Id != owner.Id || nodes.Any(n => n.HasOpenSlots))
                {
                    return false;
                }
            }

            return true;
        }, $"every node sees slot {slot} on {owner}", TimeSpan.FromSeconds(30));

    public IServer Server(ClusterNode node) => Connection.GetServer("127.0.0.1", node.Port);

    private IServer AnyServer() => Connection.GetServers().First(s => s.IsConnected && !s.IsReplica);

    private static async Task<IReadOnlyList<ClusterNode>> NodesAsync(IServer server)
    {
        var nodes = (string)(await server.ExecuteAsync("CLUSTER", "NODES"))!;
        // Over RESP3 the reply is a verbatim string, which keeps its format prefix.
        return ClusterNode.Parse(nodes.StartsWith("txt:", StringComparison.Ordinal) ? nodes[4..] : nodes);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await RedisServerFixture.RunScriptAsync("cluster-stop", Port.ToString(CultureInfo.InvariantCulture));
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One line of <c>CLUSTER NODES</c>: <c>&lt;id&gt; &lt;ip:port@bus&gt; &lt;flags&gt; &lt;master&gt; … &lt;slot ranges&gt;</c>.</summary>
internal sealed record ClusterNode(string Id, int Port, IReadOnlySet<string> Flags, IReadOnlyList<(int First, int Last)> Slots, bool HasOpenSlots)
{
    public bool Owns(int slot) => Slots.Any(r => r.First <= slot && slot <= r.Last);

    public int SlotCount => Slots.Sum(r => r.Last - r.First + 1);

    /// <summary>The slots it owns, lowest first (the order <c>redis-cli --cluster reshard</c> takes them in).</summary>
    public IEnumerable<int> LowestSlots => Slots.OrderBy(r => r.First).SelectMany(r => Enumerable.Range(r.First, r.Last - r.First + 1));

    public override string ToString() => $"127.0.0.1:{Port}";

    public static IReadOnlyList<ClusterNode> Parse(string nodes) =>
        nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            var f = line.Split(' ');
            var port = int.Parse(f[1].Split('@')[0].Split(':')[^1], CultureInfo.InvariantCulture);
            var ranges = new List<(int, int)>();
            var open = false;
            foreach (var slot in f.Skip(8))
            {
                if (slot.StartsWith('['))
                {
                    // [slot->-id] (migrating) or [slot-<-id] (importing).
                    open = true;
                    continue;
                }

                var dash = slot.IndexOf('-', StringComparison.Ordinal);
                ranges.Add(dash < 0
                    ? (int.Parse(slot, CultureInfo.InvariantCulture), int.Parse(slot, CultureInfo.InvariantCulture))
                    : (int.Parse(slot[..dash], CultureInfo.InvariantCulture), int.Parse(slot[(dash + 1)..], CultureInfo.InvariantCulture)));
            }

            return new ClusterNode(f[0], port, f[2].Split(',').ToHashSet(StringComparer.Ordinal), ranges, open);
        }).ToArray();
}
