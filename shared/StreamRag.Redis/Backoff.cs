namespace StreamRag.Redis;

/// <summary>Exponential back-off with jitter between retries: the consumer loop, a reply's PUBLISH, the client's refused postings.</summary>
public static class Backoff
{
    /// <summary>The wait after <paramref name="failures"/> failures in a row: 50 ms doubling, at most <paramref name="max"/>, jittered to 50–100 %.</summary>
    public static TimeSpan After(int failures, TimeSpan max)
    {
        var ms = Math.Min(max.TotalMilliseconds, 50 * Math.Pow(2, Math.Clamp(failures, 0, 20)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    /// <summary>The longer of the back-off and the wait a dependency asked for (itself at most ten minutes).</summary>
    public static TimeSpan After(int failures, TimeSpan max, TimeSpan? retryAfter)
    {
        var backoff = After(failures, max);
        var asked = retryAfter is { } r ? TimeSpan.FromTicks(Math.Clamp(r.Ticks, 0, TimeSpan.FromMinutes(10).Ticks)) : TimeSpan.Zero;
        return asked > backoff ? asked : backoff;
    }
}
