using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// Processes a batch of stream entries and says what became of each (same order).
/// Throwing fails the whole batch; nothing is acknowledged or lost. A transient exception (Redis
/// unreachable or LOADING, or one a registered <see cref="ITransientFailureClassifier"/> knows,
/// such as the embedding provider unavailable) makes the runner hold the entries, back off and call
/// again, without counting an attempt. Any other exception counts an attempt of every entry; after
/// MaxAttempts the runner splits the batch until the entry at fault is alone and dead-letters it.
/// </summary>
public interface IStreamEntryHandler
{
    Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken);
}
