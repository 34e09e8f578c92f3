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
