using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Monitor;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests;

/// <summary>
/// What only a Redis Cluster shows: a tenant's partitions on different masters, server figures
/// read from every master, and <c>deploy/redis.sh cluster</c> being idempotent. The cluster stage
/// (<c>./test.sh cluster</c>) runs these next to the scenarios marked <see cref="ClusterScenarioAttribute"/>.
/// </summary>
[ClusterOnly]
public sealed class ClusterTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Client_UpsertsQueriesAndDeletes_AcrossPartitionsOnDifferentMasters()
    {
        redis.RequireCluster();
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);
        var ids = Enumerable.Range(0, 30).Select(i => $"doc-{i}").ToArray();
        foreach (var id in ids)
        {
            await client.UpsertDocumentAsync(new DocumentUpsert(id, 1, $"honeybees gather pollen, note {id}") { Source = "wiki" }, Ct);
        }

        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => (await Task.WhenAll(ids.Select(id => index.GetStateAsync("default", id, Ct)))).All(s => s is not null), "every document is indexed");

        // Each partition lives on its own master, and that node holds the partition's passages.
        var byPartition = ids.ToLookup(id => scope.Keys.PartitionOf("default", id));
        var masters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var partition in scope.Keys.PartitionsOf("default"))
        {
            var node = redis.Connection.GetServer((await scope.Db.IdentifyEndpointAsync(partition.VectorSet))!);
            Assert.False(node.IsReplica, $"{partition.VectorSet} is served by replica {node.EndPoint}");
            Assert.True(byPartition[partition].Any(), $"no document hashed to {partition}: pick other ids");
            Assert.Equal(byPartition[partition].Count(), (long)await node.ExecuteAsync("VCARD", partition.VectorSet));
            masters.Add(node.EndPoint.ToString()!);
        }

        Assert.Equal(RedisServerFixture.ClusterShards, masters.Count);

        // A query merges every partition; a delete reaches each document's own node.
        var all = await client.QueryAsync("honeybees pollen", new QueryOptions { K = ids.Length }, Ct);
        Assert.Equal(ids.Order(StringComparer.Ordinal), all.Results.Select(r => r.Id).Order(StringComparer.Ordinal));
        var deleted = byPartition.Select(g => g.First()).ToArray();
        foreach (var id in deleted)
        {
            await client.DeleteDocumentAsync(id, 2, cancellationToken: Ct);
        }

        await TestScope.EventuallyAsync(async () => (await Task.WhenAll(deleted.Select(id => index.GetStateAsync("default", id, Ct)))).All(s => s!.Deleted), "the deletes are applied");
        var after = await client.QueryAsync("honeybees pollen", new QueryOptions { K = ids.Length }, Ct);
        Assert.Equal(ids.Except(deleted).Order(StringComparer.Ordinal), after.Results.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task MemoryFigures_AreThoseOfTheFullestMaster_NotOfTheFirstSeed()
    {
        redis.RequireCluster();
        await using var scope = new TestScope(redis);
        // 100 MB on a master other than the first seed node, the one a single-node reading asks.
        var firstSeed = redis.Connection.GetServer(ConfigurationOptions.Parse(redis.Configuration).EndPoints[0]).EndPoint;
        var ballast = Enumerable.Range(0, 100).Select(i => (RedisKey)$"{scope.Prefix}:{{ballast{i}}}")
            .First(k => !Equals(redis.Connection.GetServer(scope.Db.IdentifyEndpoint(k)!).EndPoint, firstSeed));
        await scope.Db.StringSetRangeAsync(ballast, (100 << 20) - 1, "x");

        using var gate = new MemoryPressureGate(scope.Connections(), Options.Create(new BackPressureOptions()), TimeProvider.System, NullLogger<MemoryPressureGate>.Instance);
        await gate.WaitOpenAsync(Ct);
        using var monitor = BuildMonitor(scope);
        var snapshot = await monitor.Services.GetRequiredService<RedisProbe>().ReadAsync(Ct);
        var ratios = await Task.WhenAll(RedisPrimaries.Of(redis.Connection).Select(async s =>
        {
            var (used, max) = await RedisPrimaries.MemoryOfAsync(s);
            return (double)used / max;
        }));

        Assert.True(ratios.Max() >= 0.09, $"the ballast should fill a tenth of its master's 1 GB: {string.Join(", ", ratios)}");
        Assert.InRange(gate.MemoryRatio, ratios.Max() - 0.02, ratios.Max() + 0.02);
        Assert.True(snapshot.UsedMemory >= 100 << 20, $"the monitor read {snapshot.UsedMemory} bytes used");
        Assert.InRange(snapshot.UsedMemory / (double)snapshot.MaxMemory, ratios.Max() - 0.02, ratios.Max() + 0.02);
        // Clients are counted on every master: this test's own connection alone reaches three.
        Assert.True(snapshot.ConnectedClients >= RedisServerFixture.ClusterShards, $"{snapshot.ConnectedClients} clients");
    }

    [Fact]
    public async Task RedisShCluster_OnAHealthyCluster_ReturnsItAsItIs()
    {
        if (redis.LocalCluster is not { } cluster)
        {
            Assert.Skip("checks the cluster this test run started (deploy/redis.sh cluster)");
            return;
        }

        var (port, directory) = cluster;

        var before = await RunIdsAsync();
        var watch = Stopwatch.StartNew();
        var seeds = await RedisServerFixture.RunScriptAsync("cluster", port.ToString(CultureInfo.InvariantCulture), directory);
        watch.Stop();

        Assert.Equal(redis.Configuration, seeds.Trim());
        Assert.Equal(before, await RunIdsAsync());
        TestContext.Current.TestOutputHelper?.WriteLine($"deploy/redis.sh cluster on the running cluster: {watch.Elapsed.TotalSeconds:0.00} s");
    }

    /// <summary>The run id of every node (a restarted node gets a new one).</summary>
    private async Task<string[]> RunIdsAsync() =>
        (await Task.WhenAll(redis.Connection.GetServers().Select(async s =>
            $"{s.EndPoint}={(await s.InfoAsync("server")).SelectMany(g => g).Single(p => p.Key == "run_id").Value}")))
        .Order(StringComparer.Ordinal).ToArray();

    /// <summary>A monitor's services, built but not started: the test reads through its probe.</summary>
    private static IHost BuildMonitor(TestScope scope)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(scope.Settings());
        builder.AddMonitorWorker();
        return builder.Build();
    }
}
