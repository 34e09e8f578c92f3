using System.Reflection;
using Microsoft.Extensions.Configuration;
using StreamRag.Hosting;

namespace StreamRag.UnitTests;

public sealed class SettingsSectionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void TheList_IsEveryOptionsClassSection()
    {
        // Every host's assembly is loaded by referencing one of its types.
        Assembly[] assemblies =
        [
            typeof(global::StreamRag.Embedder.EmbedderOptions).Assembly, typeof(global::StreamRag.Query.QueryOptions).Assembly,
            typeof(global::StreamRag.Sweeper.SweeperOptions).Assembly, typeof(global::StreamRag.Monitor.MonitorOptions).Assembly,
            typeof(global::StreamRag.Generation.AnswerOptions).Assembly, typeof(StreamRagHost).Assembly,
            typeof(global::StreamRag.Index.IndexOptions).Assembly, typeof(global::StreamRag.Embedding.EmbeddingOptions).Assembly,
            typeof(global::StreamRag.Redis.RedisOptions).Assembly, typeof(global::StreamRag.Security.TokenOptions).Assembly,
        ];
        var declared = assemblies.SelectMany(a => a.GetTypes())
            .Select(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static))
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            // A nested section (Security:Tokens) is listed by its top-level name.
            .Select(f => ((string)f!.GetRawConstantValue()!).Split(':')[0])
            .ToHashSet();

        Assert.Equal(declared.Order(StringComparer.Ordinal), SettingsSections.All.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void UnknownSection_IsNamedWithItsKey()
    {
        var message = StreamRagHost.UnknownSection(Config(("Query:CacheTtl", "00:00:05"), ("Querry:CacheTtl", "00:00:05")));
        Assert.NotNull(message);
        Assert.StartsWith("unknown configuration section 'Querry' (Querry:CacheTtl); the sections are ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void KnownSections_AnyCase_LoggingAndPlainVariables_Pass()
    {
        Assert.Null(StreamRagHost.UnknownSection(Config(
            ("redis:Configuration", "localhost"), ("Logging:LogLevel:Default", "Warning"), ("PATH", "/usr/bin"), ("Alerts:Rules:0", "x"))));
    }
}
