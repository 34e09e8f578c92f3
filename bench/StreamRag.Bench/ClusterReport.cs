using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamRag.Bench;

/// <summary>
/// The tables of <c>./bench.sh --cluster</c> (throughput, cluster / standalone ratios, per-node
/// cost per document and per query) and the linear model of how far N masters go, on stdout and in
/// <c>bench-results/{name}.md</c> and <c>.json</c>.
/// </summary>
internal sealed class ClusterReport(int documents, int queries, int concurrency, int rounds, Configuration standalone, Configuration cluster)
{
    private static readonly int[] ModelNodes = [1, 3, 6, 12];

    private const string FasterIngestion = " Where it ingests faster anyway, the likely causes, not measured apart: one Redis executes commands on one thread, so it uses one core at most, and three masters can use both; the one embedder consumes 3 streams at once (3 batches in flight instead of 1); each shard's HNSW graph is a third of the size (an insert visits fewer nodes).";

    private static readonly JsonSerializerOptions CamelCase = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public void Write(string outDir, string name)
    {
        var md = new StringBuilder();
        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, Redis {standalone.RedisVersion}";
        md.AppendLine(Inv($"StreamRag cluster benchmark — {documents:N0} documents (3 passages each), {queries:N0} queries ({concurrency} in flight, k 10), hashing embedder, 1 embedder + 1 query worker per deployment, {rounds} rounds each in turn; {machine}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        md.AppendLine();
        md.AppendLine($"| figure | {standalone.Name} ({standalone.Layout}, Shards={standalone.Shards}, Partitions={standalone.StreamPartitions}) | {cluster.Name} ({cluster.Layout}, Shards={cluster.Shards}, Partitions={cluster.StreamPartitions}) | cluster / standalone |");
        md.AppendLine("|---|---:|---:|---:|");
        Row(md, "ingestion", "documents/s", c => c.Ingestion.UnitsPerSecond);
        Row(md, "ingestion", "passages/s", c => c.Ingestion.Passages / c.Ingestion.Seconds);
        Row(md, "queries", "queries/s", c => c.Queries.UnitsPerSecond);
        Row(md, "query latency p50", "ms", c => Stats.Percentile(c.Queries.LatenciesMs!, 50));
        Row(md, "query latency p95", "ms", c => Stats.Percentile(c.Queries.LatenciesMs!, 95));
        md.AppendLine();
        md.AppendLine(Inv($"Same run, same corpus and queries; the two deployments ran side by side and took turns, round by round. On this machine's {Environment.ProcessorCount} cores the cluster has no more hardware than the standalone server: its six Redis processes, the two workers and the bench share the same cores, and each master also feeds its replica, so it cannot be faster by having more cores.{(cluster.Ingestion.UnitsPerSecond > standalone.Ingestion.UnitsPerSecond ? FasterIngestion : "")} The per-node figures below say what the cluster would gain with a core per node."));
        md.AppendLine();
        foreach (var (phase, unit) in new[] { ("ingestion", "document"), ("queries", "query") })
        {
            md.AppendLine(Inv($"Per node, per {unit} ({phase}; commands and CPU beyond the node's idle rate with the fleet running, the bench's INFO reads left out; bytes in/out are client traffic, repl the replication stream; the most-run column counts every call):"));
            md.AppendLine();
            md.AppendLine($"| configuration | node | role | commands/{unit} | bytes in/{unit} | bytes out/{unit} | repl bytes/{unit} | Redis CPU µs/{unit} | most run (calls/{unit}) |");
            md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|");
            foreach (var c in new[] { standalone, cluster })
            {
                var p = Of(c, phase);
                foreach (var n in p.Nodes)
                {
                    var repl = n.IsReplica ? n.Raw.ReplicationInputBytes : n.Raw.ReplicationOutputBytes;
                    var top = string.Join(", ", n.Raw.TopCommands(4).Select(t => Inv($"{t.Command} {t.Calls / (double)p.Units:0.##}")));
                    md.AppendLine(Inv($"| {c.Name} | {n.Node} | {(n.IsReplica ? $"replica of {n.ReplicaOf}" : "master")} | {n.Commands / p.Units:0.##} | {n.Raw.NetInputBytes / (double)p.Units:0} | {n.Raw.NetOutputBytes / (double)p.Units:0} | {repl / (double)p.Units:0} | {n.CpuSeconds * 1e6 / p.Units:0} | {top} |"));
                }
            }

            md.AppendLine();
            md.AppendLine(Inv($"Processor time of the fleet's processes per {unit} (their idle polling included): ") + string.Join("; ", new[] { standalone, cluster }.Select(c =>
                $"{c.Name}: " + string.Join(", ", Of(c, phase).ProcessCpuSeconds.Select(kv => Inv($"{kv.Key} {kv.Value * 1e6 / Of(c, phase).Units:0} µs"))))) + ".");
            md.AppendLine();
        }

        var models = new Models(
            Model.ByCommands(standalone.Ingestion, cluster.Ingestion), Model.ByCpu(standalone.Ingestion, cluster.Ingestion),
            Model.ByCommands(standalone.Queries, cluster.Queries), Model.ByCpu(standalone.Queries, cluster.Queries));
        md.AppendLine("How far N masters go, if each node had a core of its own (a linear model of the figures above, weighted by commands and by Redis CPU):");
        md.AppendLine();
        md.AppendLine("| N masters | ingestion, documents/s (commands) | ingestion, documents/s (CPU) | queries/s (commands) | queries/s (CPU) |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var nodes in ModelNodes)
        {
            md.AppendLine(Inv($"| {nodes} | {models.IngestByCommands.Ceiling(nodes):0} | {models.IngestByCpu.Ceiling(nodes):0} | {models.QueryByCommands.Ceiling(nodes):0} | {models.QueryByCpu.Ceiling(nodes):0} |"));
        }

        md.AppendLine();
        foreach (var line in Conclusions(models))
        {
            md.AppendLine(line);
            md.AppendLine();
        }

        ResultFiles.Write(outDir, name, md.ToString(), new
        {
            documents,
            queries,
            concurrency,
            machine,
            utc = DateTime.UtcNow,
            ratios = new
            {
                documentsPerSecond = cluster.Ingestion.UnitsPerSecond / standalone.Ingestion.UnitsPerSecond,
                queriesPerSecond = cluster.Queries.UnitsPerSecond / standalone.Queries.UnitsPerSecond,
                queryP50 = Stats.Percentile(cluster.Queries.LatenciesMs!, 50) / Stats.Percentile(standalone.Queries.LatenciesMs!, 50),
                queryP95 = Stats.Percentile(cluster.Queries.LatenciesMs!, 95) / Stats.Percentile(standalone.Queries.LatenciesMs!, 95),
            },
            configurations = new[] { standalone, cluster }.Select(c => new
            {
                c.Name,
                c.Layout,
                c.Shards,
                c.StreamPartitions,
                ingestion = PhaseJson(c.Ingestion),
                queries = PhaseJson(c.Queries),
            }),
            model = new
            {
                ingestionByCommands = ModelJson(models.IngestByCommands),
                ingestionByCpu = ModelJson(models.IngestByCpu),
                queriesByCommands = ModelJson(models.QueryByCommands),
                queriesByCpu = ModelJson(models.QueryByCpu),
            },
        }, CamelCase);
    }

    private IEnumerable<string> Conclusions(Models m)
    {
        var (ic, iu, qc, qu) = (m.IngestByCommands, m.IngestByCpu, m.QueryByCommands, m.QueryByCpu);
        yield return Inv($"Model: scale-out means N masters with Redis:Shards = Streams:Partitions = N. Each master's cost per document or query is fitted as a + b/N from the standalone server (N = 1) and the cluster's mean master (N = 3): b is the work that spreads over the masters (a document's stream entry, passages and acknowledgement live on its partitions), a the work every master repeats whatever N (every query searches every shard). The busiest master sets the pace: cost × imbalance (busiest / mean master of the 3, assumed to hold for N). Throughput_N ≈ capacity / (imbalance × (a + b/N)), capacity being the standalone server's commands per second of its CPU in the same phase ({ic.Capacity:0} for ingestion, {qc.Capacity:0} for queries) when weighted by commands, or one CPU-second per second when weighted by Redis CPU (which counts that a VSIM costs far more than an HSET).");
        yield return Inv($"Ingestion: {ic.Standalone:0.#} commands and {iu.Standalone * 1e6:0} µs of Redis CPU per document on the standalone server; on the cluster {ic.ClusterTotal:0.#} commands over the 3 masters, the busiest {ic.Busiest:0.#} ({ic.BusiestShare:P0} of them; even would be 33 %), and {iu.Busiest * 1e6:0} µs on the busiest master by CPU. Fit: a {ic.Fixed:0.##} + b {ic.Spread:0.#} / N commands, a {iu.Fixed * 1e6:0} + b {iu.Spread * 1e6:0} / N µs: ingestion spreads, {ic.Ceiling(1):0} → {ic.Ceiling(3):0} → {ic.Ceiling(12):0} documents/s on 1 → 3 → 12 masters by commands ({iu.Ceiling(1):0} → {iu.Ceiling(3):0} → {iu.Ceiling(12):0} by CPU).");
        yield return Inv($"Queries: {qc.Standalone:0.#} commands and {qu.Standalone * 1e6:0} µs of Redis CPU per query on the standalone server; on the cluster {qc.ClusterTotal:0.#} commands over the 3 masters, the busiest {qc.Busiest:0.#} ({qc.BusiestShare:P0}), {qu.Busiest * 1e6:0} µs on the busiest master. Fit: a {qc.Fixed:0.##} + b {qc.Spread:0.#} / N commands, a {qu.Fixed * 1e6:0} + b {qu.Spread * 1e6:0} / N µs. Every query runs one VSIM on every master (each searches its shard), and by CPU {qu.FixedShare:P0} of a query's Redis work is that repeated part: query throughput grows with masters only towards {Limit(qu)} queries/s by CPU ({Limit(qc)} by commands, which count a VSIM as one command like an HMGET). More query capacity needs searches served by replicas or fewer shards per query, not more masters.");
        var embedder = ic.ProcessCpu("Embedder");
        var standaloneEmbedder = standalone.Ingestion.ProcessCpuSeconds.GetValueOrDefault("Embedder") * 1e6 / standalone.Ingestion.Units;
        var queryWorker = qc.ProcessCpu("Query");
        var replicaCpu = cluster.Ingestion.Nodes.Where(n => n.IsReplica).Sum(n => n.CpuSeconds) / Math.Max(1e-9, cluster.Ingestion.Masters.Sum(n => n.CpuSeconds));
        yield return iu.Standalone * 1e6 > standaloneEmbedder
            ? Inv($"Per document, Redis is the larger cost here, not the embedder: {iu.Standalone * 1e6:0} µs of Redis CPU on the standalone server (it ran {StandaloneMix(standalone.Ingestion)} per document; a VADD is an HNSW insert, whose cost grows with the graph) against {standaloneEmbedder:0} µs in the embedder (hashing embedder). One Redis runs them on one thread; N masters run them on N. One embedder core does about {1e6 / embedder:0} documents/s, so 3 masters at their ceiling ({iu.Ceiling(3):0} documents/s) need about {iu.Ceiling(3) * embedder / 1e6:0.#} embedder cores.")
            : Inv($"Per document, the embedder is the larger cost here, not Redis: {standaloneEmbedder:0} µs of its CPU against {iu.Standalone * 1e6:0} µs of Redis CPU on the standalone server; one embedder core does about {1e6 / embedder:0} documents/s, so 3 masters at their ceiling ({iu.Ceiling(3):0} documents/s) need about {iu.Ceiling(3) * embedder / 1e6:0.#} embedder cores: scale embedder processes with the masters.");
        yield return Inv($"Replicas re-run their masters' writes (vector-set inserts included): {ic.ReplicaCommands:0.#} commands per document on the busiest replica, {replicaCpu:P0} of the masters' Redis CPU per document; the masters send the repl bytes above. They cost cores of their own, not the masters' ceiling.");
        yield return queryWorker > qu.Busiest * 1e6
            ? Inv($"Per query the query worker spent {queryWorker:0} µs of CPU on the cluster against {qu.Busiest * 1e6:0} µs on the busiest master: query workers are the first limit of queries/s; they scale by adding processes, up to the masters' fixed VSIM cost above.")
            : Inv($"Per query the busiest master spent {qu.Busiest * 1e6:0} µs of Redis CPU against {queryWorker:0} µs in the query worker: the masters' VSIM is the first limit of queries/s.");
        yield return Inv($"Assumptions: a core per Redis node (and per replica) and enough embedder and query-worker processes; commands cost what they cost on the standalone server (by commands) or what they cost here (by CPU, inflated by {Environment.ProcessorCount} shared cores); loopback network (no latency, no bandwidth limit; bytes per unit above say what a real network carries; the cluster bus — gossip, pub/sub replies forwarded to every node — is not in them); the 3-master imbalance holds for N; smaller shards make inserts cheaper mostly while graphs are small (b then overstates large N); the hashing embedder (a real model costs milliseconds per passage: --model).");
    }

    private static string StandaloneMix(Phase p) =>
        string.Join(", ", p.Masters.Single().Raw.TopCommands(4).Select(t => Inv($"{t.Command} {t.Calls / (double)p.Units:0.#}")));

    private static string Limit(Model m) => double.IsFinite(m.Limit) ? m.Limit.ToString("0", CultureInfo.InvariantCulture) : "no limit (no fixed part measured)";

    private void Row(StringBuilder md, string figure, string unit, Func<Configuration, double> value)
    {
        var (s, c) = (value(standalone), value(cluster));
        md.AppendLine(Inv($"| {figure} | {s:0.#} {unit} | {c:0.#} {unit} | {c / s:0.00} |"));
    }

    private static Phase Of(Configuration c, string phase) => phase == "ingestion" ? c.Ingestion : c.Queries;

    private static object PhaseJson(Phase p) => new
    {
        units = p.Units,
        p.Passages,
        p.Seconds,
        unitsPerSecond = p.UnitsPerSecond,
        latencyP50Ms = p.LatenciesMs is { } l ? Stats.Percentile(l, 50) : (double?)null,
        latencyP95Ms = p.LatenciesMs is { } m ? Stats.Percentile(m, 95) : (double?)null,
        processCpuMicrosecondsPerUnit = p.ProcessCpuSeconds.ToDictionary(kv => kv.Key, kv => kv.Value * 1e6 / p.Units),
        nodes = p.Nodes.Select(n => new
        {
            n.Node,
            role = n.IsReplica ? "replica" : "master",
            n.ReplicaOf,
            commandsPerUnit = n.Commands / p.Units,
            idleCommands = n.IdleCommands,
            netInputBytesPerUnit = n.Raw.NetInputBytes / (double)p.Units,
            netOutputBytesPerUnit = n.Raw.NetOutputBytes / (double)p.Units,
            replicationInputBytesPerUnit = n.Raw.ReplicationInputBytes / (double)p.Units,
            replicationOutputBytesPerUnit = n.Raw.ReplicationOutputBytes / (double)p.Units,
            cpuMicrosecondsPerUnit = n.CpuSeconds * 1e6 / p.Units,
            idleCpuSeconds = n.IdleCpuSeconds,
            callsPerUnit = n.Raw.Calls.OrderByDescending(c => c.Value).ToDictionary(c => c.Key, c => c.Value / (double)p.Units),
        }),
    };

    private static object ModelJson(Model m) => new
    {
        capacityPerSecond = m.Capacity,
        standalonePerUnit = m.Standalone,
        clusterMastersPerUnit = m.ClusterTotal,
        busiestMasterPerUnit = m.Busiest,
        m.BusiestShare,
        m.Imbalance,
        fixedPerUnitPerMaster = m.Fixed,
        spreadPerUnit = m.Spread,
        ceilingUnitsPerSecond = ModelNodes.ToDictionary(n => n.ToString(CultureInfo.InvariantCulture), m.Ceiling),
        limitUnitsPerSecond = double.IsFinite(m.Limit) ? m.Limit : (double?)null,
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed record Models(Model IngestByCommands, Model IngestByCpu, Model QueryByCommands, Model QueryByCpu);

    /// <summary>
    /// The linear cost model of one phase, weighted by commands or by Redis CPU: per master, a + b/N
    /// per unit (fitted from N = 1 and the cluster's mean master at N = 3), times the cluster's
    /// imbalance, against a capacity per node (commands, or CPU-seconds, per second).
    /// </summary>
    private sealed record Model(double Capacity, double Standalone, double ClusterTotal, double Busiest, int Masters, double ReplicaCommands, Phase ClusterPhase)
    {
        public double BusiestShare => Busiest / ClusterTotal;

        public double Imbalance => Busiest / (ClusterTotal / Masters);

        /// <summary>b: the cost per unit that spreads over the masters.</summary>
        public double Spread => Math.Clamp((Standalone - (ClusterTotal / Masters)) * Masters / (Masters - 1), 0, Standalone);

        /// <summary>a: the cost per unit every master pays whatever N.</summary>
        public double Fixed => Standalone - Spread;

        public double FixedShare => Fixed / Standalone;

        /// <summary>The ceiling as N grows without bound: capacity / (imbalance × a).</summary>
        public double Limit => Fixed > 0 ? Capacity / (Imbalance * Fixed) : double.PositiveInfinity;

        public double Ceiling(int nodes) => Capacity / ((nodes == 1 ? 1 : Imbalance) * (Fixed + (Spread / nodes)));

        /// <summary>Processor time of a fleet process per unit on the cluster, µs.</summary>
        public double ProcessCpu(string process) => ClusterPhase.ProcessCpuSeconds.GetValueOrDefault(process) * 1e6 / ClusterPhase.Units;

        public static Model ByCommands(Phase standalone, Phase cluster)
        {
            var node = standalone.Masters.Single();
            return Of(node.Commands / node.CpuSeconds, standalone, cluster, n => n.Commands);
        }

        public static Model ByCpu(Phase standalone, Phase cluster) => Of(1, standalone, cluster, n => n.CpuSeconds);

        private static Model Of(double capacity, Phase standalone, Phase cluster, Func<NodeCost, double> cost)
        {
            var masters = cluster.Masters.ToArray();
            return new Model(
                capacity,
                cost(standalone.Masters.Single()) / standalone.Units,
                masters.Sum(cost) / cluster.Units,
                masters.Max(cost) / cluster.Units,
                masters.Length,
                cluster.Nodes.Where(n => n.IsReplica).Select(n => n.Commands / cluster.Units).DefaultIfEmpty(0).Max(),
                cluster);
        }
    }
}
