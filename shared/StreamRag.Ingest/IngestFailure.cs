namespace StreamRag.Ingest;

/// <summary>A document that did not become searchable, and why.</summary>
/// <param name="DeadLetterId">Its entry on the dead-letter stream; null when it was refused before posting or never settled.</param>
public sealed record IngestFailure(string Id, string Origin, string Reason, string? DeadLetterId);
