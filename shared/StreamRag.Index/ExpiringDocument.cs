
namespace StreamRag.Index;

/// <summary>A document due for deletion by the retention sweeper.</summary>
public sealed record ExpiringDocument(string Id, DateTimeOffset ExpiresAt);
