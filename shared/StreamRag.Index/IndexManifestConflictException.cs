namespace StreamRag.Index;

/// <summary>This host's configuration contradicts the index manifest; the host must not start.</summary>
public sealed class IndexManifestConflictException(string message) : Exception(message);
