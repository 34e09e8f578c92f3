namespace StreamRag.Monitor;

/// <summary>One pending entry as XPENDING reports it; <see cref="AgeMs"/> is the time since it was added (from its id), null when the id's time is not plausible.</summary>
internal sealed record PendingEntry(string Id, string Consumer, long IdleMs, long Deliveries, long? AgeMs);
