namespace StreamRag.Contracts;

/// <summary>Fields of an entry on the document-deletions audit stream (one per document the retention sweeper expired).</summary>
public static class DocumentDeletionFields
{
    public const string Tenant = "tenant";
    public const string Id = "id";

    /// <summary>The version that was deleted.</summary>
    public const string Version = "version";

    /// <summary>The document's source label.</summary>
    public const string Source = "source";

    /// <summary>Why: <c>expired</c>.</summary>
    public const string Reason = "reason";

    /// <summary>When it was due (Unix ms).</summary>
    public const string ExpiresAt = "expires_at";

    /// <summary>When the sweeper deleted it (Unix ms).</summary>
    public const string DeletedAt = "deleted_at";

    public const string ReasonExpired = "expired";
}
