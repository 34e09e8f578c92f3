using System.Globalization;
using StackExchange.Redis;

namespace StreamRag.Bench;

/// <summary>
/// What one Redis node has done since it started, as its <c>INFO</c> reports it: calls per command
/// and microseconds spent in each (<c>commandstats</c>, named as Redis names them: <c>xadd</c>, but a
/// module's <c>VADD</c>; a script's commands count too), bytes to and
/// from clients and to and from replication (<c>stats</c>), and processor time, all threads and the
/// main thread (<c>cpu</c>). Two readings subtracted give the cost of what ran in between.
/// </summary>
internal sealed record NodeCounters(
    string Node,
    bool IsReplica,
    string? ReplicaOf,
    IReadOnlyDictionary<string, long> Calls,
    IReadOnlyDictionary<string, long> Microseconds,
    long NetInputBytes,
    long NetOutputBytes,
    long ReplicationInputBytes,
    long ReplicationOutputBytes,
    double CpuSeconds,
    double MainThreadCpuSeconds)
{
    /// <summary>The bench's own reads of these counters, left out of every count.</summary>
    private const string MeasurementCommand = "info";

    /// <summary>Every node the connection knows (a cluster's masters and replicas), read at once; masters first, by port.</summary>
    public static async Task<IReadOnlyList<NodeCounters>> ReadAllAsync(IConnectionMultiplexer redis)
    {
        var nodes = await Task.WhenAll(redis.GetServers().Select(ReadAsync));
        return nodes.OrderBy(n => n.IsReplica).ThenBy(n => n.Node, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Commands run, the bench's INFO reads left out.</summary>
    public long Commands => Calls.Where(c => c.Key != MeasurementCommand).Sum(c => c.Value);

    /// <summary>What ran between <paramref name="before"/> (a reading of the same node) and this reading.</summary>
    public NodeCounters Since(NodeCounters before)
    {
        ArgumentNullException.ThrowIfNull(before);
        if (before.Node != Node)
        {
            throw new ArgumentException($"{before.Node} is not {Node}", nameof(before));
        }

        var calls = Calls
            .Select(c => (c.Key, Value: c.Value - before.Calls.GetValueOrDefault(c.Key)))
            .Where(c => c.Value > 0 && c.Key != MeasurementCommand)
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        return this with
        {
            Calls = calls,
            Microseconds = Microseconds.ToDictionary(c => c.Key, c => c.Value - before.Microseconds.GetValueOrDefault(c.Key), StringComparer.Ordinal),
            NetInputBytes = NetInputBytes - before.NetInputBytes,
            NetOutputBytes = NetOutputBytes - before.NetOutputBytes,
            ReplicationInputBytes = ReplicationInputBytes - before.ReplicationInputBytes,
            ReplicationOutputBytes = ReplicationOutputBytes - before.ReplicationOutputBytes,
            CpuSeconds = CpuSeconds - before.CpuSeconds,
            MainThreadCpuSeconds = MainThreadCpuSeconds - before.MainThreadCpuSeconds,
        };
    }

    /// <summary>The costs of a phase on every node: <paramref name="after"/> minus <paramref name="before"/>, node by node.</summary>
    public static IReadOnlyList<NodeCounters> Between(IReadOnlyList<NodeCounters> before, IReadOnlyList<NodeCounters> after) =>
        after.Select(a => a.Since(before.SingleOrDefault(b => b.Node == a.Node)
            ?? throw new InvalidOperationException($"node {a.Node} appeared during the phase"))).ToArray();

    /// <summary>Both phases' costs on the same node together (deltas of two rounds).</summary>
    public NodeCounters Plus(NodeCounters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        static Dictionary<string, long> Sum(IReadOnlyDictionary<string, long> one, IReadOnlyDictionary<string, long> two)
        {
            var sum = new Dictionary<string, long>(one, StringComparer.Ordinal);
            foreach (var (command, count) in two)
            {
                sum[command] = sum.GetValueOrDefault(command) + count;
            }

            return sum;
        }

        return this with
        {
            Calls = Sum(Calls, other.Calls),
            Microseconds = Sum(Microseconds, other.Microseconds),
            NetInputBytes = NetInputBytes + other.NetInputBytes,
            NetOutputBytes = NetOutputBytes + other.NetOutputBytes,
            ReplicationInputBytes = ReplicationInputBytes + other.ReplicationInputBytes,
            ReplicationOutputBytes = ReplicationOutputBytes + other.ReplicationOutputBytes,
            CpuSeconds = CpuSeconds + other.CpuSeconds,
            MainThreadCpuSeconds = MainThreadCpuSeconds + other.MainThreadCpuSeconds,
        };
    }

    /// <summary>The commands it ran most, with their calls, most first.</summary>
    public IEnumerable<(string Command, long Calls)> TopCommands(int count) =>
        Calls.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(count).Select(c => (c.Key, c.Value));

    private static async Task<NodeCounters> ReadAsync(IServer server)
    {
        var reply = (string)(await server.ExecuteAsync("INFO", "replication", "stats", "cpu", "commandstats"))!;
        // Over RESP3 the reply is a verbatim string, which keeps its format prefix.
        var text = reply.StartsWith("txt:", StringComparison.Ordinal) ? reply[4..] : reply;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        var microseconds = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.StartsWith('#') || colon < 0)
            {
                continue;
            }

            var (key, value) = (line[..colon], line[(colon + 1)..]);
            if (key.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                // cmdstat_xadd:calls=5,usec=40,usec_per_call=8.00,rejected_calls=0,failed_calls=0
                var parts = value.Split(',');
                long Part(string name) => long.Parse(parts.First(p => p.StartsWith(name, StringComparison.Ordinal))[name.Length..], CultureInfo.InvariantCulture);
                var command = key["cmdstat_".Length..];
                calls[command] = Part("calls=");
                microseconds[command] = Part("usec=");
            }
            else
            {
                fields[key] = value;
            }
        }

        long Long(string name) => long.Parse(fields[name], CultureInfo.InvariantCulture);
        double Double(string name) => double.Parse(fields[name], CultureInfo.InvariantCulture);
        var replica = fields["role"] == "slave";
        return new NodeCounters(
            server.EndPoint.ToString()!.Replace("Unspecified/", "", StringComparison.Ordinal),
            replica,
            replica ? $"{fields["master_host"]}:{fields["master_port"]}" : null,
            calls,
            microseconds,
            Long("total_net_input_bytes"),
            Long("total_net_output_bytes"),
            Long("total_net_repl_input_bytes"),
            Long("total_net_repl_output_bytes"),
            Double("used_cpu_sys") + Double("used_cpu_user"),
            Double("used_cpu_sys_main_thread") + Double("used_cpu_user_main_thread"));
    }
}

/// <summary>
/// What a phase cost one node beyond its background: the counters of the phase (<see cref="Raw"/>)
/// less what the node does idle (heartbeats, blocked reads timing out, claims, cron, cluster bus)
/// over the same time, measured with the fleet running and nothing to do.
/// </summary>
internal sealed record NodeCost(NodeCounters Raw, double IdleCommands, double IdleCpuSeconds)
{
    public string Node => Raw.Node;

    public bool IsReplica => Raw.IsReplica;

    public string? ReplicaOf => Raw.ReplicaOf;

    /// <summary>Commands of the phase, its share of the idle ones subtracted.</summary>
    public double Commands => Math.Max(0, Raw.Commands - IdleCommands);

    /// <summary>Processor time of the phase, its share of the idle time subtracted.</summary>
    public double CpuSeconds => Math.Max(0, Raw.CpuSeconds - IdleCpuSeconds);
}
