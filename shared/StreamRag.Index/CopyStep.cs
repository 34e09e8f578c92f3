
namespace StreamRag.Index;

/// <summary>Where a document's copy stands when <see cref="ShardCountChange.OnCopyStep"/> is called.</summary>
internal enum CopyStep
{
    /// <summary>The scan found the document's key; nothing of it read yet.</summary>
    Found,

    /// <summary>The document was read (one snapshot of its hash and vectors); not yet written to the new layout.</summary>
    Read,

    /// <summary>The snapshot was written to the new layout; the old layout not yet read again.</summary>
    Written,
}
