using StreamRag.Monitor;

namespace StreamRag.UnitTests;

public sealed class QueryWindowTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private static QueryObservation Q(DateTimeOffset at, double total, bool hit = false, bool ok = true, double search = 5) =>
        new(at, ok, 1, 2, search, total, hit, 100);

    [Fact]
    public void Snapshot_ComputesPercentilesAndRates()
    {
        var window = new QueryWindow(TimeSpan.FromSeconds(10), 1000);
        for (var i = 1; i <= 100; i++)
        {
            window.Add(Q(T0, i, hit: i % 4 == 0, ok: i != 50), T0);
        }

        var s = window.Snapshot(T0);

        Assert.Equal((100, 1, 10.0), (s.Queries, s.Errors, s.QueriesPerSecond));
        Assert.Equal((50.5, 50.0, 95.0, 99.0, 100.0), (s.Total.Avg, s.Total.P50, s.Total.P95, s.Total.P99, s.Total.Max));
        Assert.Equal(0.25, s.CacheHitRate);
        // Search and embed times count answered cache misses only.
        Assert.Equal(5, s.Search.P99);
    }

    [Fact]
    public void OldQueries_LeaveTheWindow_AndLateOnesAreFiledByTheirTime()
    {
        var window = new QueryWindow(TimeSpan.FromSeconds(10), 1000);
        window.Add(Q(T0, 1), T0);
        window.Add(Q(T0.AddSeconds(8), 3), T0.AddSeconds(8));
        window.Add(Q(T0.AddSeconds(4), 2), T0.AddSeconds(8));
        window.Add(Q(T0.AddSeconds(60), 9), T0.AddSeconds(8));

        Assert.Equal([1.0, 2, 3, 9], window.Current(T0.AddSeconds(8)).Select(o => o.TotalMs));
        Assert.Equal([2.0, 3], window.Current(T0.AddSeconds(13)).Select(o => o.TotalMs).Take(2));
        Assert.Empty(window.Current(T0.AddSeconds(30)));
    }

    [Fact]
    public void Capacity_KeepsTheNewest()
    {
        var window = new QueryWindow(TimeSpan.FromSeconds(10), 100);
        for (var i = 0; i < 150; i++)
        {
            window.Add(Q(T0.AddMilliseconds(i), i), T0.AddSeconds(1));
        }

        var current = window.Current(T0.AddSeconds(1));
        Assert.Equal(100, current.Length);
        Assert.Equal(50, current[0].TotalMs);
    }

    /// <summary>Issue 12: an id past year 9999 on the metrics stream made this throw, and every later entry with it.</summary>
    [Fact]
    public void MetricsEntry_WithAnIdPastYear9999_IsFiledAtReadTime_WithItsQueueTimeUnknown()
    {
        var entry = new StackExchange.Redis.StreamEntry("253402300800000-4", [new("status", "ok"), new("total_ms", "12.5")]);

        Assert.True(QueryMetricsReader.TryParse(entry, T0, out var observation, out _));

        Assert.Equal(T0, observation.At);
        Assert.Null(observation.QueueMs);
        Assert.Equal(12.5, observation.TotalMs);
    }

    [Fact]
    public void Snapshot_QueueDistribution_LeavesOutUnknownQueueTimes()
    {
        var window = new QueryWindow(TimeSpan.FromSeconds(10), 100);
        window.Add(new QueryObservation(T0, true, null, 1, 1, 20, false, null), T0);
        window.Add(new QueryObservation(T0, true, 8, 1, 1, 20, false, null), T0);

        var snapshot = window.Snapshot(T0);

        Assert.Equal((2, 8.0), (snapshot.Queries, snapshot.Queue.Avg));
    }
}
