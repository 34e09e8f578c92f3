using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Hosting;

/// <summary>
/// Every top-level configuration section a StreamRag host reads, across all hosts: a section outside this
/// list is a typo and stops start-up (<see cref="StreamRagHost.UnknownSection"/>). The hosts' own sections are
/// named here as text since this project does not reference the hosts; a unit test checks the list against
/// every options class's <c>Section</c>.
/// </summary>
public static class SettingsSections
{
    public static IReadOnlyList<string> All { get; } =
    [
        RedisOptions.Section, StreamOptions.Section, ConsumerGroupOptions.Section, BackPressureOptions.Section,
        IndexOptions.Section, RetentionOptions.Section, EmbeddingOptions.Section, ChunkingOptions.Section,
        MetricsOptions.Section, TelemetryOptions.Section, WatchOptions.Section,
        "Answer", "Embedder", "Query", "Sweeper", "Monitor", "Alerts", "Tuning", "Dashboard", "Security",
    ];
}
