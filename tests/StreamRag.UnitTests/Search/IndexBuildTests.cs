using Microsoft.Extensions.Time.Testing;
using StreamRag.Index.Search;

namespace StreamRag.UnitTests.Search;

/// <summary>The wait for an FT index's initial scan: done only when FT.INFO says indexing 0 and percent_indexed 1, and bounded.</summary>
public sealed class IndexBuildTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RunningIndex Reading(double percent, bool indexing) => new("rag:idx:v1", "HASH", ["rag:chunk:"], [], 1000, 0, indexing, percent, 0, 0);

    /// <summary>Advances the fake clock one poll interval at a time until the wait ends.</summary>
    private static async Task<T> DriveAsync<T>(FakeTimeProvider time, Task<T> wait)
    {
        for (var i = 0; i < 200 && !wait.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5, Ct);
        }

        return await wait;
    }

    [Fact]
    public async Task Wait_ReturnsOnlyWhenTheScanHasEnded_ReportingEveryReadingBefore()
    {
        var time = new FakeTimeProvider();
        // percent_indexed reaches 1 a moment before indexing drops to 0: both must hold.
        var readings = new Queue<RunningIndex>([Reading(0.2, true), Reading(0.9, true), Reading(1.0, true), Reading(1.0, false)]);
        var progress = new List<double>();

        var built = await DriveAsync(time, IndexBuild.WaitAsync(() => Task.FromResult<RunningIndex?>(readings.Dequeue()), "rag:idx:v1",
            TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), r => progress.Add(r.PercentIndexed), time, Ct));

        Assert.False(built.Indexing);
        Assert.Equal([0.2, 0.9, 1.0], progress);
        Assert.Empty(readings);
    }

    [Fact]
    public async Task Wait_AlreadyBuilt_ReadsOnceAndReportsNothing()
    {
        var reads = 0;
        var progress = 0;

        await IndexBuild.WaitAsync(() => { reads++; return Task.FromResult<RunningIndex?>(Reading(1.0, false)); }, "rag:idx:v1",
            TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), _ => progress++, new FakeTimeProvider(), Ct);

        Assert.Equal((1, 0), (reads, progress));
    }

    [Fact]
    public async Task Wait_StillScanningPastTheTimeout_FailsNamingTheIndexAndItsProgress()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();

        var wait = IndexBuild.WaitAsync(() => Task.FromResult<RunningIndex?>(Reading(0.5, true)), "rag:idx:v1",
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), _ => { }, time, Ct);
        var error = await Assert.ThrowsAsync<IndexBuildTimeoutException>(() => DriveAsync(time, wait));

        Assert.Equal(("rag:idx:v1", 0.5), (error.Index, error.PercentIndexed));
        Assert.Contains("rag:idx:v1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Index:Search:BuildTimeout", error.Message, StringComparison.Ordinal);
        Assert.True(time.GetUtcNow() - start >= TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Wait_IndexDroppedMeanwhile_Fails()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => IndexBuild.WaitAsync(() => Task.FromResult<RunningIndex?>(null), "rag:idx:v2",
            TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), _ => { }, new FakeTimeProvider(), Ct));

        Assert.Contains("rag:idx:v2 vanished", error.Message, StringComparison.Ordinal);
    }
}
