namespace StreamRag.Monitor;

/// <summary>The window's figures at one instant.</summary>
internal sealed record WindowSnapshot(
    TimeSpan Length,
    int Queries,
    int Errors,
    double QueriesPerSecond,
    Distribution Total,
    Distribution Search,
    Distribution Embed,
    Distribution Queue,
    double CacheHitRate)
{
    public static WindowSnapshot Empty(TimeSpan length) =>
        new(length, 0, 0, 0, Distribution.Empty, Distribution.Empty, Distribution.Empty, Distribution.Empty, 0);
}
