using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// Matching on ingestion: for each new or changed passage of a document, one script asks its
/// tenant's watch set which watches the passage vector is within threshold of (one VSIM, bounded by
/// the tenant's lowest threshold, the watches' filters applied inside it; pipelined over the
/// passages), and one script per match appends the notification to the watch's <c>notify_to</c>
/// stream unless that watch, document version and passage were notified already.
/// </summary>
public sealed class WatchMatcher(RedisConnections connections, KeySchema keys, IOptions<WatchOptions> options, TimeProvider time)
{
    private static readonly string MatchScript = LuaScripts.Read(typeof(WatchMatcher), "watch_match.lua");
    private static readonly string NotifyScript = LuaScripts.Read(typeof(WatchMatcher), "watch_notify.lua");

    /// <summary>Matches the document's passages against its tenant's watches and notifies each match once.</summary>
    /// <param name="eventId">The stream id of the event that brought this version (carried in the notifications).</param>
    public async Task<WatchMatchReport> NotifyAsync(IndexedDocument document, string? eventId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document.Chunks is not { Count: > 0 } chunks)
        {
            return default;
        }

        var settings = options.Value;
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var now = time.GetUtcNow();
        var filter = WatchAttributes.FilterFor(document.Source, document.Tags, document.Timestamp, now);
        RedisKey[] setKeys = [keys.WatchSet(document.Tenant), keys.WatchThresholds(document.Tenant)];
        var searches = new Task<RedisResult>[chunks.Count];
        for (var i = 0; i < chunks.Count; i++)
        {
            searches[i] = db.ScriptEvaluateAsync(MatchScript, setKeys,
                [MemoryMarshal.AsBytes(chunks[i].Vector.Span).ToArray(), settings.MaxMatchesPerPassage, settings.SearchEf, filter]);
        }

        var notifications = new List<Task<RedisResult>>();
        var tags = string.Join(',', document.Tags);
        var at = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var dedupeSeconds = (long)settings.DedupeRetention.TotalSeconds;
        for (var i = 0; i < chunks.Count; i++)
        {
            var found = (RedisResult[]?)await searches[i].WaitAsync(cancellationToken) ?? [];
            for (var j = 0; j + 2 < found.Length; j += 3)
            {
                var watchId = (string)found[j]!;
                var score = double.Parse((string)found[j + 1]!, CultureInfo.InvariantCulture);
                if (found[j + 2].IsNull || !WatchAttributes.Accepts((string)found[j + 2]!, score, document.Tags, out var notifyTo))
                {
                    continue;
                }

                var chunk = chunks[i];
                notifications.Add(db.ScriptEvaluateAsync(NotifyScript, [notifyTo, keys.WatchNotified(notifyTo)],
                [
                    settings.NotifyMaxLength, dedupeSeconds,
                    string.Create(CultureInfo.InvariantCulture, $"{watchId}|{document.Id}|{document.Version}|{chunk.Index}"),
                    WatchNotificationFields.ContractVersion, 1,
                    WatchNotificationFields.WatchId, watchId,
                    WatchNotificationFields.Tenant, document.Tenant,
                    WatchNotificationFields.DocumentId, document.Id,
                    WatchNotificationFields.Chunk, chunk.Index,
                    WatchNotificationFields.Score, score.ToString("R", CultureInfo.InvariantCulture),
                    WatchNotificationFields.Content, chunk.Text,
                    WatchNotificationFields.Source, document.Source,
                    WatchNotificationFields.Timestamp, document.Timestamp.ToUnixTimeMilliseconds(),
                    WatchNotificationFields.Tags, tags,
                    WatchNotificationFields.Version, document.Version,
                    WatchNotificationFields.EventId, eventId ?? "",
                    WatchNotificationFields.NotifiedAt, at,
                ]));
            }
        }

        var appended = 0;
        foreach (var notification in notifications)
        {
            appended += (int)await notification.WaitAsync(cancellationToken);
        }

        return new WatchMatchReport(notifications.Count, appended);
    }
}
