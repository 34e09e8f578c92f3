namespace StreamRag.Ingest;

/// <summary>An entry read from a file: a document, or why the entry cannot be one.</summary>
public sealed record SourceEntry(string Origin, SourceDocument? Document, string? Problem);
