namespace StreamRag.Telemetry;

/// <summary>
/// The <c>[LoggerMessage]</c> event ids each project may use: the one list of them. An id is
/// unique across the fleet, so a log query on <c>EventId</c> names one message. A unit test reads
/// every assembly's LoggerMessage attributes and fails on a collision or an id outside its
/// project's range. A new project takes the next free range here.
/// </summary>
public static class EventIdRanges
{
    /// <summary>Project (assembly) name → first and last id it may use.</summary>
    public static IReadOnlyDictionary<string, (int First, int Last)> ByProject { get; } = new Dictionary<string, (int, int)>(StringComparer.Ordinal)
    {
        ["StreamRag.Redis"] = (1000, 1099),
        ["StreamRag.Embedding"] = (1100, 1199),
        ["StreamRag.Embedding.Local"] = (1200, 1299),
        ["StreamRag.Generation"] = (1300, 1399),
        ["StreamRag.Index"] = (1400, 1499),
        ["StreamRag.Index.Search"] = (1500, 1599),
        ["StreamRag.Client"] = (1600, 1699),
        ["StreamRag.Hosting"] = (1700, 1799),
        ["StreamRag.Settings"] = (1800, 1899),
        ["StreamRag.Security"] = (1900, 1999),
        ["StreamRag.Embedder"] = (2000, 2999),
        ["StreamRag.Sweeper"] = (3000, 3999),
        ["StreamRag.Monitor"] = (4000, 4999),
        ["StreamRag.Query"] = (5000, 5999),
        // tools/: the command-line tool, index admin, demo, ops bench.
        ["StreamRag.Cli"] = (6000, 6099),
        ["StreamRag.IndexAdmin"] = (6100, 6199),
        ["StreamRag.Demo"] = (6200, 6299),
        ["StreamRag.OpsBench"] = (6300, 6399),
        ["StreamRag.Bench"] = (7000, 7999),
    };
}
