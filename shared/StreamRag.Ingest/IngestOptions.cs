using StreamRag.Contracts;

namespace StreamRag.Ingest;

/// <summary>How one ingest run posts documents.</summary>
public sealed record IngestOptions
{
    public string Tenant { get; init; } = DocumentEventParser.DefaultTenant;

    /// <summary>Source of documents whose own entry names none (a JSON Lines <c>source</c> wins).</summary>
    public string Source { get; init; } = "cli";

    /// <summary>Tags given to every document (added to a JSON Lines entry's own).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Expiry after the document's timestamp, for documents whose entry names none.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Post every document, even those the ledger says are unchanged.</summary>
    public bool Force { get; init; }

    /// <summary>Documents posted and not yet settled (searchable or dead-lettered) at most: bounds memory and the stream's backlog.</summary>
    public int MaxInFlight { get; init; } = 2_000;

    /// <summary>Documents read, checked against the ledger and posted together (one round trip each way).</summary>
    public int BatchSize { get; init; } = 200;

    /// <summary>Stop waiting when nothing becomes searchable or dead-lettered for this long.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);
}

/// <summary>Counts so far, for a progress display.</summary>
/// <param name="Total">Entries found in the files (known before posting starts).</param>
public sealed record IngestProgress(int Total, int Read, int Skipped, int Rejected, int Posted, int Searchable, int DeadLettered, long Passages)
{
    /// <summary>Searchable + dead-lettered.</summary>
    public int Settled => Searchable + DeadLettered;
}

/// <summary>A document that did not become searchable, and why.</summary>
/// <param name="DeadLetterId">Its entry on the dead-letter stream; null when it was refused before posting or never settled.</param>
public sealed record IngestFailure(string Id, string Origin, string Reason, string? DeadLetterId);

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
