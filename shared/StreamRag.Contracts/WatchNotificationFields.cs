namespace StreamRag.Contracts;

/// <summary>
/// Flat fields of one notification entry, appended to a watch's <c>notify_to</c> stream when a new or
/// changed passage scores at or above its threshold (docs/contract.md, "Watches").
/// </summary>
public static class WatchNotificationFields
{
    public const string ContractVersion = "v";
    public const string WatchId = "watch";
    public const string Tenant = "tenant";
    public const string DocumentId = "id";
    public const string Chunk = "chunk";
    public const string Score = "score";
    public const string Content = "content";
    public const string Source = "source";

    /// <summary>The document's timestamp, Unix milliseconds.</summary>
    public const string Timestamp = "timestamp";

    /// <summary>Comma-separated tags, empty when none.</summary>
    public const string Tags = "tags";

    /// <summary>The document version the passage belongs to.</summary>
    public const string Version = "version";

    /// <summary>The stream id of the document event that brought the passage (its time part is when it was XADDed).</summary>
    public const string EventId = "event";

    /// <summary>When the notification was appended, Unix milliseconds.</summary>
    public const string NotifiedAt = "at";
}
