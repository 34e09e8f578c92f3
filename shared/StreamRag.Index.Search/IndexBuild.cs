using System.Globalization;

namespace StreamRag.Index.Search;

/// <summary>
/// Waiting for an FT index's initial scan. FT.CREATE over a prefix that already holds chunk hashes
/// indexes them in the background; a hash written while that scan runs can be indexed twice, which
/// corrupts the term statistics (IDF) BM25 ranks by (seen in issue 11). So nothing writes through a
/// new index, and no alias points at it, before FT.INFO says <c>indexing 0</c> and <c>percent_indexed 1</c>.
/// </summary>
internal static class IndexBuild
{
    public static bool IsBuilt(RunningIndex index) => !index.Indexing && index.PercentIndexed >= 1.0;

    /// <summary>
    /// Polls <paramref name="info"/> until the index is built and returns what it said last. Every
    /// reading that is not yet built goes to <paramref name="progress"/>; past <paramref name="timeout"/>
    /// it throws <see cref="IndexBuildTimeoutException"/>.
    /// </summary>
    public static async Task<RunningIndex> WaitAsync(
        Func<Task<RunningIndex?>> info,
        string name,
        TimeSpan pollInterval,
        TimeSpan timeout,
        Action<RunningIndex> progress,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(time);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var running = await info() ?? throw new InvalidOperationException($"FT index {name} vanished while it was being built");
            if (IsBuilt(running))
            {
                return running;
            }

            progress(running);
            if (time.GetUtcNow() >= deadline)
            {
                throw new IndexBuildTimeoutException(name, running, timeout);
            }

            await Task.Delay(pollInterval, time, cancellationToken);
        }
    }
}

/// <summary>An FT index was still scanning the stored chunks when the wait for it ran out.</summary>
public sealed class IndexBuildTimeoutException : TimeoutException
{
    internal IndexBuildTimeoutException(string index, RunningIndex running, TimeSpan timeout)
        : base(string.Create(CultureInfo.InvariantCulture, $"FT index {index} was still indexing the stored chunks after {timeout} ({running.PercentIndexed:P0} done, {running.Documents} chunks)")
            + "; nothing may write through it before that scan ends (a chunk written during it can be indexed twice). "
            + $"Start again once FT.INFO {index} shows percent_indexed 1, or raise Index:Search:BuildTimeout.")
    {
        Index = index;
        PercentIndexed = running.PercentIndexed;
    }

    public string Index { get; }

    public double PercentIndexed { get; }
}
