using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Settings;

namespace StreamRag.UnitTests;

public sealed class SettingsBindingTests
{
    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void UnknownKey_FailsValidation_NamingSectionKeyAndOptions()
    {
        var services = new ServiceCollection();
        services.AddSettings<ChunkingOptions, ChunkingOptionsValidator>(Config(("Chunking:Size", "100"), ("Chunking:MaxEmbeddingBatch", "64")), ChunkingOptions.Section);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ChunkingOptions>>().Value);

        Assert.Equal(
            "unknown setting 'MaxEmbeddingBatch' under 'Chunking' (StreamRag.Embedding.ChunkingOptions has no such setting; every setting is listed in docs/configuration.md)",
            error.Message);
    }

    [Fact]
    public void KnownKeys_AndDictionaryEntries_Bind()
    {
        var retention = Config(("Retention:Default", "1.00:00:00"), ("Retention:DefaultBySource:crm", "01:00:00")).GetSection(RetentionOptions.Section).GetStrictly<RetentionOptions>();

        Assert.Equal(TimeSpan.FromDays(1), retention.Default);
        Assert.Equal(TimeSpan.FromHours(1), retention.DefaultBySource["crm"]);
    }

    [Fact]
    public void UnknownKeyOfANestedSection_IsCaughtToo()
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            Config(("Embedding:Resilience:Retries", "3")).GetSection(EmbeddingOptions.Section).GetStrictly<EmbeddingOptions>());

        Assert.Contains("'Retries'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ProviderResilienceOptions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreadableValue_FailsValidation_NamingTheKey()
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            Config(("Chunking:Size", "big")).GetSection(ChunkingOptions.Section).GetStrictly<ChunkingOptions>());

        Assert.Contains("Chunking:Size", error.Message, StringComparison.Ordinal);
    }
}
