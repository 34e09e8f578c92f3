
namespace StreamRag.Index;

/// <summary>A document read in one step: its version as stored, whether it is a tombstone, and what to write.</summary>
internal sealed record DocumentSnapshot(string VersionText, bool Deleted, IndexedDocument Document);
