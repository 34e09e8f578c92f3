using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Embedder;
using StreamRag.Embedding;
using StreamRag.Embedding.Local;
using StreamRag.Index;
using StreamRag.Query;
using StreamRag.Redis;

namespace StreamRag.TestSupport;

/// <summary>
/// One test's private corner of the shared server: a unique key prefix (from the test's name and a
/// random suffix), the settings hosts need, and helpers to start real hosts in-process.
/// </summary>
public sealed class TestScope : IAsyncDisposable
{
    private readonly List<IHost> hosts = [];

    /// <param name="streamPartitions">Partitions of the input streams (<c>Streams:Partitions</c>) of this scope's hosts.</param>
    public TestScope(ITestRedisServer redis, int streamPartitions = 1, [CallerMemberName] string test = "")
    {
        Redis = redis;
        var name = new string(test.Where(char.IsLetterOrDigit).Take(16).ToArray());
        Prefix = $"t{name}{Guid.NewGuid().ToString("N")[..6]}";
        Keys = new KeySchema(Prefix, redis.Shards, streamPartitions);
    }

    /// <summary>The index engine test hosts run, unless a test overrides <c>Index:Engine</c>.</summary>
    public const string TestEngine = "vectorset";

    public ITestRedisServer Redis { get; }

    public string Prefix { get; }

    public KeySchema Keys { get; }

    public IDatabase Db => Redis.Connection.GetDatabase();

    /// <summary>Host settings: this scope's Redis and prefix, short timings for tests, plus overrides.</summary>
    public Dictionary<string, string?> Settings(params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = Redis.Configuration,
            ["Redis:KeyPrefix"] = Prefix,
            ["Redis:Shards"] = Keys.Shards.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Streams:Partitions"] = Keys.StreamPartitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Pinned, whatever the server offers: tests read what hosts wrote through vector sets
            // (Index()), and a server with the Query Engine must not make them build FT indexes.
            ["Index:Engine"] = TestEngine,
            ["Consumer:ClaimIdle"] = "00:00:02",
            ["Consumer:ClaimInterval"] = "00:00:00.500",
            ["Consumer:BlockTimeout"] = "00:00:00.500",
            ["Consumer:MaxBackoff"] = "00:00:00.500",
            ["Consumer:DrainTimeout"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
            // Most tests exercise the fleet, not the model: the lexical hashing embedder is instant and
            // needs no model load. Tests of the local model ask for it (UseLocalModel).
            ["Embedding:Provider"] = "hashing",
            // Worker processes started by tests must not fight over the default scrape ports.
            ["Metrics:PrometheusPort"] = "0",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    public Task<IHost> StartEmbedderAsync(params (string Key, string Value)[] overrides) =>
        StartAsync(b => b.AddEmbedderWorker(), overrides);

    public Task<IHost> StartQueryWorkerAsync(params (string Key, string Value)[] overrides) =>
        StartAsync(b => b.AddQueryWorker(), overrides);

    public async Task<IHost> StartAsync(Action<IHostApplicationBuilder> configure, params (string Key, string Value)[] overrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(Settings(overrides));
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging")).AddSimpleConsole();
        // Every in-process host of the test run shares one set of loaded local models: a model load
        // costs a second or more and ~100 MB, once per process as in production.
        builder.Services.AddSingleton(LocalModels);
        configure(builder);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        hosts.Add(host);
        return host;
    }

    /// <summary>An index bound to this scope, for reading what the hosts wrote.</summary>
    public IndexUnderTest Index(int dimensions = 384) => Over(new VectorSetIndex(Connections(), Keys, Options.Create(new IndexOptions { Dimensions = dimensions })));

    /// <summary><paramref name="engine"/> with the partition metadata over its layout, on this scope's keys.</summary>
    public IndexUnderTest Over(IVectorIndex engine) => new(engine, Connections(), Keys);

    /// <summary>Connections to this scope's server, closed with the scope.</summary>
    public RedisConnections Connections()
    {
        var connections = new RedisConnections(Options.Create(new RedisOptions { Configuration = Redis.Configuration, KeyPrefix = Prefix, Shards = Keys.Shards }));
        disposables.Add(connections);
        return connections;
    }

    /// <summary>Runs <paramref name="cleanup"/> when the scope is disposed, before its keys are deleted.</summary>
    public void Defer(Func<ValueTask> cleanup) => cleanups.Add(cleanup);

    private readonly List<Func<ValueTask>> cleanups = [];

    private readonly List<IAsyncDisposable> disposables = [];

    public static HashingEmbeddingGenerator Embedder { get; } = new(384);

    /// <summary>The local models of this test process, loaded on first use and shared by every test and host.</summary>
    public static LocalEmbeddingModels LocalModels { get; } = new();

    /// <summary>Settings that run a host on the default local model (snowflake-arctic-embed-xs).</summary>
    public static readonly (string Key, string Value)[] UseLocalModel = [("Embedding:Provider", "local")];

    /// <summary>Polls until the condition holds; fails the test with the message after the timeout.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out waiting until {because}");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        foreach (var cleanup in cleanups)
        {
            await cleanup();
        }

        foreach (var d in disposables)
        {
            await d.DisposeAsync();
        }

        // Remove this test's keys so the shared server stays small (on a cluster, from every master).
        foreach (var server in RedisPrimaries.Of(Redis.Connection))
        {
            await foreach (var key in server.KeysAsync(pattern: $"{Prefix}:*", pageSize: 1000))
            {
                await Db.KeyDeleteAsync(key, CommandFlags.FireAndForget);
            }
        }
    }
}
