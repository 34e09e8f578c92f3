namespace StreamRag.Admin;

/// <summary>A stream's length and, for a worker stream, its consumer group.</summary>
public sealed record StreamStatus(string Stream, long Length, GroupStatus? Group);
