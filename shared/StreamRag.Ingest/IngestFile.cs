namespace StreamRag.Ingest;

/// <summary>One file to ingest; <see cref="RelativePath"/> (with <c>/</c>) is relative to the folder it was found under.</summary>
public sealed record IngestFile(string FullPath, string RelativePath)
{
    public bool IsJsonLines => FullPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
}
