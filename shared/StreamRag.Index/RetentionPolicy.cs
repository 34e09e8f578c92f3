using Microsoft.Extensions.Options;

namespace StreamRag.Index;

/// <summary>
/// When a document expires: the event's own expiry (<c>ttl</c> or <c>expires_at</c>) wins; else the
/// retention configured for its source; else the default retention; else never. A retention is
/// counted from the document's timestamp, so a redelivered or replayed event expires at the same
/// instant. The embedder applies it before writing, so the sweeper only ever reads the expiry index.
/// </summary>
public sealed class RetentionPolicy
{
    private readonly Dictionary<string, TimeSpan> bySource;
    private readonly TimeSpan? fallback;

    public RetentionPolicy(IOptions<RetentionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Configuration keys are case-insensitive, so a source's retention is too.
        bySource = new Dictionary<string, TimeSpan>(options.Value.DefaultBySource, StringComparer.OrdinalIgnoreCase);
        fallback = options.Value.Default;
    }

    public DateTimeOffset? ExpiryOf(DateTimeOffset? eventExpiry, string source, DateTimeOffset timestamp)
    {
        if (eventExpiry is not null)
        {
            return eventExpiry;
        }

        var retention = bySource.TryGetValue(source ?? "", out var r) ? r : fallback;

        // A document stamped near year 9999 would expire past the last instant there is: never, then.
        return retention is { } keep && timestamp <= DateTimeOffset.MaxValue - keep ? timestamp + keep : null;
    }
}
