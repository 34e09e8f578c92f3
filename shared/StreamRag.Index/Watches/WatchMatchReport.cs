namespace StreamRag.Index;

/// <summary>What matching one document did.</summary>
/// <param name="Matched">Passage-watch pairs within threshold.</param>
/// <param name="Notified">Notifications appended (the rest had been made already, for a redelivered event).</param>
public readonly record struct WatchMatchReport(int Matched, int Notified);
