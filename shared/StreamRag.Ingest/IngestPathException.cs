namespace StreamRag.Ingest;

/// <summary>A path given to ingest that cannot be read (missing, unsupported type).</summary>
public sealed class IngestPathException(string message) : Exception(message);
