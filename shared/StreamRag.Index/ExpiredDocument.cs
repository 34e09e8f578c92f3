
namespace StreamRag.Index;

/// <summary>A document the retention sweeper deleted, as its deletion record.</summary>
/// <param name="RecordId">The record's id in the engine's outbox, for acknowledging it.</param>
/// <param name="Outbox">The outbox stream that holds the record (the partition's, in the layout it was expired in).</param>
public sealed record ExpiredDocument(string Tenant, string Id, long Version, string Source, DateTimeOffset ExpiresAt, DateTimeOffset DeletedAt, string RecordId, string Outbox);
