namespace StreamRag.Admin;

/// <summary>A consumer group as Redis reports it; <see cref="Live"/> consumers were seen within 30 s.</summary>
public sealed record GroupStatus(string Name, bool Exists, long? Lag, long Pending, int Consumers, int Live);
