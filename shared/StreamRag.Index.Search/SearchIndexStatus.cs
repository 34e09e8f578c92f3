namespace StreamRag.Index.Search;

/// <summary>A running index and how it differs from the configuration (empty when it matches).</summary>
public sealed record SearchIndexStatus
{
    internal SearchIndexStatus(RunningIndex running, IReadOnlyList<string> differences)
    {
        Running = running;
        Differences = differences;
    }

    internal RunningIndex Running { get; }

    public string PhysicalName => Running.Name;

    public long Documents => Running.Documents;

    public long IndexingFailures => Running.IndexingFailures;

    public bool Indexing => Running.Indexing;

    public double PercentIndexed => Running.PercentIndexed;

    public long VectorMemoryBytes => Running.VectorMemoryBytes;

    public long TotalMemoryBytes => Running.TotalMemoryBytes;

    public IReadOnlyList<string> Differences { get; }

    public bool Matches => Differences.Count == 0;
}
