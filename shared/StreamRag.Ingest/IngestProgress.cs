namespace StreamRag.Ingest;

/// <summary>Counts so far, for a progress display.</summary>
/// <param name="Total">Entries found in the files (known before posting starts).</param>
public sealed record IngestProgress(int Total, int Read, int Skipped, int Rejected, int Posted, int Searchable, int DeadLettered, long Passages)
{
    /// <summary>Searchable + dead-lettered.</summary>
    public int Settled => Searchable + DeadLettered;
}
