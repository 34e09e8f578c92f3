namespace StreamRag.Ingest;

/// <summary>What a run did.</summary>
/// <param name="Unsettled">Posted but neither searchable nor dead-lettered when the run ended (cancelled or stalled).</param>
/// <param name="Passages">Passages of the documents this run made searchable.</param>
public sealed record IngestSummary(
    int Files,
    int Total,
    int Skipped,
    int Rejected,
    int Posted,
    int Searchable,
    int DeadLettered,
    int Unsettled,
    long Passages,
    TimeSpan Elapsed,
    bool Cancelled,
    bool Stalled,
    IReadOnlyList<IngestFailure> Failures)
{
    public double PassagesPerSecond => Elapsed > TimeSpan.Zero ? Passages / Elapsed.TotalSeconds : 0;

    public double DocumentsPerSecond => Elapsed > TimeSpan.Zero ? Searchable / Elapsed.TotalSeconds : 0;

    /// <summary>Everything found is searchable or was unchanged.</summary>
    public bool Complete => !Cancelled && !Stalled && Rejected == 0 && DeadLettered == 0 && Unsettled == 0;
}
