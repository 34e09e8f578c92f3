namespace StreamRag.Client;

/// <summary>One notification: a new or changed passage that scored at or above a watch's threshold.</summary>
/// <param name="StreamId">The entry's id in the notification stream: pass it as <see cref="WatchQueryOptions.After"/> to resume after it.</param>
/// <param name="WatchId">The watch it is for.</param>
/// <param name="DocumentId">The document the passage belongs to.</param>
/// <param name="Chunk">The passage number within the document version.</param>
/// <param name="Score">Its similarity to the watch's query, on the reply's scale.</param>
/// <param name="Version">The document version that brought the passage.</param>
/// <param name="EventId">The stream id of that document event.</param>
/// <param name="NotifiedAt">When the notification was appended.</param>
public sealed record WatchNotification(
    string StreamId,
    string WatchId,
    string Tenant,
    string DocumentId,
    int Chunk,
    double Score,
    string Content,
    string Source,
    DateTimeOffset Timestamp,
    IReadOnlyList<string> Tags,
    long Version,
    string EventId,
    DateTimeOffset NotifiedAt);
