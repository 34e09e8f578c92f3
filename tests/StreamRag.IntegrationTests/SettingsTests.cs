using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamRag.Embedder;
using StreamRag.Monitor;
using StreamRag.Query;
using StreamRag.Sweeper;

namespace StreamRag.IntegrationTests;

/// <summary>
/// Issue 12: a test set the non-existent key <c>Chunking:MaxEmbeddingBatch</c> and nothing noticed.
/// Every host binds every options section strictly: a wrong key stops start-up, naming it.
/// </summary>
public sealed class SettingsTests(RedisServerFixture redis)
{
    private static readonly Dictionary<string, Action<IHostApplicationBuilder>> Hosts = new(StringComparer.Ordinal)
    {
        ["embedder"] = b => b.AddEmbedderWorker(),
        ["query"] = b => b.AddQueryWorker(),
        ["sweeper"] = b => b.AddSweeperWorker(),
        ["monitor"] = b => b.AddMonitorWorker(),
    };

    public static TheoryData<string, string> WrongKeys => new()
    {
        { "embedder", "Chunking:MaxEmbeddingBatch" },
        { "embedder", "Embedder:BatchSize" },
        { "embedder", "Embedding:Resilience:Retries" },
        { "embedder", "BackPressure:PauseAt" },
        { "query", "Query:CacheSize" },
        { "query", "Answer:Modle" },
        { "query", "Redis:Prefix" },
        { "sweeper", "Sweeper:Intervall" },
        { "embedder", "Retention:Days" },
        { "sweeper", "Index:Dimension" },
        { "monitor", "Alerts:MaxLag" },
        { "monitor", "Tuning:Budget" },
        { "monitor", "Monitor:Windows" },
        { "monitor", "Consumer:ClaimIdleTime" },
        { "monitor", "Metrics:Port" },
        { "query", "Telemetry:Otlp:Endpiont" },
        { "embedder", "Telemetry:Exporter" },
    };

    [Theory]
    [MemberData(nameof(WrongKeys))]
    public async Task UnknownSetting_StopsTheHostAtStartUp_NamingItsSectionAndKey(string host, string key)
    {
        await using var scope = new TestScope(redis);

        var error = Validation(await Assert.ThrowsAnyAsync<Exception>(() => scope.StartAsync(Hosts[host], (key, "1"))));

        var section = key[..key.IndexOf(':', StringComparison.Ordinal)];
        Assert.Contains($"'{section}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{key[(key.LastIndexOf(':') + 1)..]}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sweeper")]
    [InlineData("monitor")]
    public async Task HostThatDoesNotEmbed_StartsWithoutEmbeddingSettings(string host)
    {
        await using var scope = new TestScope(redis);

        // Embedding:Dimensions stays at its default (384), which would not match this index: only the
        // hosts that embed read the Embedding section, so this one starts.
        var started = await scope.StartAsync(Hosts[host], ("Index:Dimensions", "256"));

        Assert.Null(started.Services.GetService<Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>>());
    }

    [Fact]
    public async Task QueryEngineSettings_AreReadByTheirEngine_AndAWrongOneStopsTheHost()
    {
        await using var scope = new TestScope(redis);
        await using var other = new TestScope(redis);

        // Index:Search is the Query Engine's own section: Index itself does not refuse it, the engine reads it.
        await scope.StartAsync(Hosts["sweeper"], ("Index:Search:TextWeight", "0.5"));
        var error = Validation(await Assert.ThrowsAnyAsync<Exception>(() => other.StartAsync(Hosts["sweeper"], ("Index:Search:Algoritm", "FLAT"))));

        Assert.Contains("'Index:Search'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Algoritm'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreadableValue_StopsTheHostAtStartUp_NamingTheKey()
    {
        await using var scope = new TestScope(redis);

        var error = Validation(await Assert.ThrowsAnyAsync<Exception>(() => scope.StartAsync(Hosts["embedder"], ("Consumer:ReadCount", "lots"))));

        Assert.Contains("Consumer:ReadCount", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The validation failure a host start threw (alone, or with the same failure seen by another validator).</summary>
    private static OptionsValidationException Validation(Exception thrown) =>
        thrown as OptionsValidationException
        ?? Assert.IsType<OptionsValidationException>(Assert.IsType<AggregateException>(thrown).InnerExceptions[0]);

    [Theory]
    [InlineData("localhost:4318")]
    [InlineData("ftp://collector:4318")]
    [InlineData("/v1/traces")]
    public async Task OtlpEndpoint_NotAnAbsoluteHttpUri_StopsTheHostAtStartUp(string endpoint)
    {
        await using var scope = new TestScope(redis);

        var error = Validation(await Assert.ThrowsAnyAsync<Exception>(() => scope.StartAsync(Hosts["query"], ("Telemetry:Otlp:Endpoint", endpoint))));

        Assert.Contains("Telemetry:Otlp:Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtlpProtocol_Unknown_StopsTheHostAtStartUp()
    {
        await using var scope = new TestScope(redis);

        var error = Validation(await Assert.ThrowsAnyAsync<Exception>(() => scope.StartAsync(Hosts["embedder"], ("Telemetry:Otlp:Endpoint", "http://localhost:4318"), ("Telemetry:Otlp:Protocol", "udp"))));

        Assert.Contains("Telemetry:Otlp:Protocol", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The standard logging switches are not StreamRag settings: strict binding must leave them alone.</summary>
    [Fact]
    public async Task StandardLoggingKeys_AndAnOtlpEndpoint_Start()
    {
        await using var scope = new TestScope(redis);

        await scope.StartAsync(Hosts["sweeper"], ("Logging:Console:FormatterName", "json"), ("Logging:Console:FormatterOptions:IncludeScopes", "true"),
            ("Logging:LogLevel:StreamRag", "Information"), ("Telemetry:Otlp:Endpoint", "http://localhost:4318"));
    }

    [Fact]
    public async Task KnownSettings_AndPerSourceRetentions_Start()
    {
        await using var scope = new TestScope(redis);

        await scope.StartAsync(Hosts["embedder"], ("Embedder:MaxEmbeddingBatch", "16"), ("Retention:DefaultBySource:any-source", "01:00:00"), ("Embedding:Resilience:MaxRetries", "1"));
    }
}
