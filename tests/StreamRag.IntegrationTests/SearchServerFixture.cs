using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Index;
using StreamRag.Index.Search;
using Testcontainers.Redis;

[assembly: AssemblyFixture(typeof(StreamRag.IntegrationTests.SearchServerFixture))]

namespace StreamRag.IntegrationTests;

/// <summary>
/// A Redis server with the Query Engine (FT.*) for the Query Engine engine's tests, when one exists.
/// In order: <c>STREAMRAG_TEST_SEARCH_REDIS</c> (which must have the Query Engine: the tests fail, not
/// skip, if it does not); a local server of this fixture's own with the module named by
/// <c>STREAMRAG_SEARCH_MODULE</c> loaded (the tests fail if it does not start or answer FT.*);
/// <c>STREAMRAG_TEST_REDIS</c> if that server has it; a <c>redis:8</c> container when a Docker engine
/// answers. Otherwise every test that needs it is skipped with the reason.
/// </summary>
public sealed class SearchServerFixture : IAsyncLifetime, ITestRedisServer
{
    public const string Variable = "STREAMRAG_TEST_SEARCH_REDIS";

    private RedisContainer? container;
    private DedicatedRedisServer? local;
    private ConnectionMultiplexer? connection;
    private string? unavailable;
    private bool mustRun;

    public string Configuration { get; private set; } = "";

    public ConnectionMultiplexer Connection => connection ?? throw new InvalidOperationException(unavailable);

    public async ValueTask InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            mustRun = true;
            await UseAsync(given, Variable);
            return;
        }

        if (SearchModule.Configured() is { } module)
        {
            mustRun = true;
            try
            {
                local = await SearchModule.StartServerAsync();
                await UseAsync(local!.Configuration, $"a local Redis {(await RedisServerFixture.RunScriptAsync("version")).Trim()} with {module}");
            }
            catch (InvalidOperationException ex)
            {
                unavailable = $"{SearchModule.Variable}={module}: the local server did not start ({ex.Message})";
            }

            return;
        }

        var shared = Environment.GetEnvironmentVariable("STREAMRAG_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(shared) && await UseAsync(shared, "STREAMRAG_TEST_REDIS"))
        {
            return;
        }

        if (File.Exists("/var/run/docker.sock") || Environment.GetEnvironmentVariable("DOCKER_HOST") is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
                container = new RedisBuilder("redis:8").Build();
                await container.StartAsync(timeout.Token);
                await UseAsync(container.GetConnectionString(), "Testcontainers redis:8");
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                unavailable = $"no Redis Query Engine server: the redis:8 container did not start ({ex.Message})";
                return;
            }
        }

        unavailable = $"no Redis Query Engine (FT.*) server here: set {SearchModule.Variable} to a RediSearch module build for the local Redis, "
                      + $"or {Variable} to a server that has it (redis:8, Redis Stack, Redis Cloud), or run where a Docker engine answers (Testcontainers redis:8); the local Redis 8 from deploy/redis.sh has no FT.* commands";
    }

    /// <summary>The server, or the test is skipped (failed, when <see cref="Variable"/> named a server without the Query Engine).</summary>
    public ITestRedisServer Require()
    {
        if (unavailable is not null)
        {
            if (mustRun)
            {
                Assert.Fail(unavailable);
            }

            Assert.Skip(unavailable);
        }

        return this;
    }

    /// <summary>
    /// A Query Engine engine over the scope's keys with its FT index created (as a host does at
    /// start-up, so later writes are indexed as they happen); index and alias are dropped with the scope.
    /// </summary>
    internal async Task<SearchVectorIndex> CreateIndexAsync(TestScope scope, IndexOptions options, SearchIndexOptions? search = null)
    {
        var index = CreateIndex(scope, options, search);
        await index.EnsureIndexAsync(TestContext.Current.CancellationToken);
        return index;
    }

    /// <summary>A Query Engine engine over the scope's keys, its index not yet checked or created.</summary>
    /// <summary>A Query Engine engine over the scope's keys with its own settings, the other index settings the defaults.</summary>
    internal Task<SearchVectorIndex> CreateIndexAsync(TestScope scope, SearchIndexOptions search) => CreateIndexAsync(scope, new IndexOptions(), search);

    /// <inheritdoc cref="CreateIndexAsync(TestScope, SearchIndexOptions)"/>
    internal SearchVectorIndex CreateIndex(TestScope scope, SearchIndexOptions search) => CreateIndex(scope, new IndexOptions(), search);

    internal SearchVectorIndex CreateIndex(TestScope scope, IndexOptions options, SearchIndexOptions? search = null)
    {
        var index = new SearchVectorIndex(scope.Connections(), scope.Keys, Options.Create(options), NullLogger<SearchVectorIndex>.Instance,
            searchOptions: search is null ? null : Options.Create(search));
        scope.Defer(async () =>
        {
            index.Dispose();
            await DropIndexAsync(scope);
        });
        return index;
    }

    /// <summary>Drops every FT index of the scope (all versions a migration may have built) and its alias, keeping nothing behind.</summary>
    internal static async ValueTask DropIndexAsync(TestScope scope)
    {
        var db = scope.Db;
        var alias = scope.Keys.SearchIndexAlias;
        var names = ((RedisResult[])(await db.ExecuteAsync("FT._LIST"))!).Select(r => (string)r!).Where(n => n.StartsWith(alias + ":v", StringComparison.Ordinal));
        try
        {
            await db.ExecuteAsync("FT.ALIASDEL", alias);
        }
        catch (RedisServerException)
        {
            // No alias: nothing to remove.
        }

        foreach (var name in names)
        {
            await db.ExecuteAsync("FT.DROPINDEX", name);
        }
    }

    private async Task<bool> UseAsync(string configuration, string origin)
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(configuration);
        var (available, probe) = await SearchIndexAdmin.ProbeAsync(mux.GetDatabase());
        if (!available)
        {
            await mux.DisposeAsync();
            unavailable = $"{origin} ({configuration}) has no Redis Query Engine: FT._LIST answered '{probe}'";
            return false;
        }

        (Configuration, connection, unavailable) = (configuration, mux, null);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        if (container is not null)
        {
            await container.DisposeAsync();
        }

        if (local is not null)
        {
            await local.DisposeAsync();
        }
    }
}
