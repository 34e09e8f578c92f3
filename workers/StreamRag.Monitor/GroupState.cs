namespace StreamRag.Monitor;

/// <summary>State of one consumer group; <see cref="Exists"/> is false when the stream exists but the group does not.</summary>
/// <param name="Idle">How long its pending entries have gone without progress; null when nothing is pending.</param>
/// <param name="ObservedSince">
/// Since when the monitor has seen the group in its current form: the evaluation that first saw it, or
/// first saw it exist after it was missing (set by <see cref="GroupObservations"/>; unset, the epoch).
/// </param>
internal sealed record GroupState(string Stream, string Group, string Role, bool NeedsLiveConsumer, bool Exists, long? Lag, long Pending, int Consumers, int LiveConsumers, PendingIdle? Idle = null, DateTimeOffset ObservedSince = default)
{
    public string Subject => $"{Stream}/{Group}";
}
