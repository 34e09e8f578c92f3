namespace StreamRag.Redis;

/// <summary>
/// Recognises the exceptions of one dependency of a handler (an embedding provider, say) that mean
/// "not now" rather than "not these entries": the dependency is unavailable, so the batch is held
/// and tried again later, and the attempt is not counted against its entries. The host registers
/// one per dependency it knows; this library knows only Redis (<see cref="RedisErrors"/>).
/// </summary>
public interface ITransientFailureClassifier
{
    /// <param name="retryAfter">The least wait the dependency asked for, when it said (e.g. <c>Retry-After</c>).</param>
    bool IsTransient(Exception exception, out TimeSpan? retryAfter);
}

/// <summary>
/// Tells a handler failure that passes by itself (Redis unreachable or LOADING, a registered
/// dependency unavailable) from one that counts as an attempt of every entry in the batch.
/// </summary>
public sealed class TransientFailures(IEnumerable<ITransientFailureClassifier> classifiers)
{
    private readonly ITransientFailureClassifier[] classifiers = classifiers?.ToArray() ?? [];

    /// <summary>Only Redis's own passing states.</summary>
    public static TransientFailures RedisOnly { get; } = new([]);

    public bool IsTransient(Exception exception, out TimeSpan? retryAfter)
    {
        ArgumentNullException.ThrowIfNull(exception);
        retryAfter = null;
        if (exception is AggregateException { InnerExceptions.Count: > 0 } many)
        {
            // Transient only if every part is: one real failure among outages still counts.
            TimeSpan? longest = null;
            foreach (var inner in many.InnerExceptions)
            {
                if (!IsTransient(inner, out var wait))
                {
                    return false;
                }

                longest = wait > longest || longest is null ? wait : longest;
            }

            retryAfter = longest;
            return true;
        }

        if (RedisErrors.IsTransient(exception))
        {
            return true;
        }

        foreach (var classifier in classifiers)
        {
            if (classifier.IsTransient(exception, out retryAfter))
            {
                return true;
            }
        }

        retryAfter = null;
        return false;
    }
}
