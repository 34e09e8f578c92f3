namespace StreamRag.Monitor;

/// <summary>
/// Idle times of a group's pending entries (XPENDING's idle: time since the entry was last delivered,
/// reclaimed or kept alive by its consumer), over the <see cref="Examined"/> oldest of them.
/// </summary>
/// <param name="Stuck">Entries idle longer than <c>Alerts:MaxPendingIdle</c>.</param>
/// <param name="Longest">The entry idle longest, when any is pending.</param>
internal sealed record PendingIdle(long MaxIdleMs, int Examined, int Stuck, PendingEntry? Longest);
