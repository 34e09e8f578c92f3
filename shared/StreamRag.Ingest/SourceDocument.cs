namespace StreamRag.Ingest;

/// <summary>A document read from a file, before the run's defaults (source, tags, ttl) apply.</summary>
/// <param name="Origin">Where it was read, for messages: the relative path, and the line for JSON Lines.</param>
public sealed record SourceDocument(string Id, string Content, string? Source, IReadOnlyList<string>? Tags, long? TtlSeconds, string Origin);
