using System.Globalization;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Admin;

/// <summary>Lists, shows, replays and purges dead letters (docs/contract.md#dead-letters).</summary>
public sealed class DeadLetterStore(IDatabase db, KeySchema keys)
{
    public static IReadOnlyList<DeadLetterStream> Both { get; } = [DeadLetterStream.Documents, DeadLetterStream.Queries];

    public RedisKey KeyOf(DeadLetterStream stream) => stream == DeadLetterStream.Documents ? keys.DocumentDeadLetters : keys.QueryDeadLetters;

    /// <summary>The stream the dead letter's original was read from, and is replayed to.</summary>
    public RedisKey SourceOf(DeadLetterStream stream) => stream == DeadLetterStream.Documents ? keys.DocumentEvents : keys.QueryRequests;

    public Task<long> CountAsync(DeadLetterStream stream) => db.StreamLengthAsync(KeyOf(stream));

    /// <summary>The newest <paramref name="count"/> dead letters of a stream, newest first.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(DeadLetterStream stream, int count)
    {
        var entries = await db.StreamRangeAsync(KeyOf(stream), "-", "+", count, Order.Descending);
        return entries.Select(e => Parse(stream, e)).ToArray();
    }

    /// <summary>Every dead letter of a stream, oldest first, read in pages.</summary>
    public async IAsyncEnumerable<DeadLetter> AllAsync(DeadLetterStream stream)
    {
        RedisValue from = "-";
        while (true)
        {
            var page = await db.StreamRangeAsync(KeyOf(stream), from, "+", 500);
            foreach (var entry in page)
            {
                yield return Parse(stream, entry);
            }

            if (page.Length < 500)
            {
                yield break;
            }

            from = "(" + page[^1].Id;
        }
    }

    /// <summary>The dead letter with this entry id in either stream, or null.</summary>
    /// <summary>
    /// The dead letters with this entry id in the given streams. Ids are per stream: two dead
    /// letters written in the same millisecond to the two streams have the same id.
    /// </summary>
    public async Task<IReadOnlyList<DeadLetter>> FindAsync(string id, IReadOnlyList<DeadLetterStream> streams)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(streams);
        var letters = new List<DeadLetter>();
        foreach (var stream in streams)
        {
            var found = await db.StreamRangeAsync(KeyOf(stream), id, id, 1);
            if (found.Length == 1)
            {
                letters.Add(Parse(stream, found[0]));
            }
        }

        return letters;
    }

    /// <summary>
    /// Posts the original fields to the original stream and deletes the dead letter, in one script
    /// (both streams share a hash tag). Returns the new entry's id, or null when the dead
    /// letter was already gone (replayed or purged by someone else meanwhile).
    /// </summary>
    public async Task<string?> ReplayAsync(DeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var args = new List<RedisValue> { letter.Id };
        foreach (var field in letter.Original)
        {
            args.Add(field.Name);
            args.Add(field.Value);
        }

        var added = await db.ScriptEvaluateAsync(ReplayScript, [KeyOf(letter.Stream), SourceOf(letter.Stream)], args.ToArray());
        return added.IsNull ? null : (string?)added;
    }

    private static readonly string ReplayScript = LuaScripts.Read(typeof(DeadLetterStore), "replay.lua");

    /// <summary>Deletes every entry of the stream (XTRIM MAXLEN 0: the key and its entries-added counter stay, so the monitor's growth figures stay right); returns how many.</summary>
    public Task<long> PurgeAsync(DeadLetterStream stream) => db.StreamTrimAsync(KeyOf(stream), 0);

    internal static DeadLetter Parse(DeadLetterStream stream, StreamEntry entry)
    {
        string? Field(string name) => (string?)entry.Values.FirstOrDefault(v => v.Name == name).Value;
        var at = long.TryParse(Field(DeadLetterFields.Time), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
        return new DeadLetter(
            stream,
            entry.Id!,
            Field(DeadLetterFields.Id),
            Field(DeadLetterFields.Reason) ?? "",
            long.TryParse(Field(DeadLetterFields.Deliveries), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 0,
            Field(DeadLetterFields.Consumer),
            at,
            entry.Values.Where(v => !((string?)v.Name ?? "").StartsWith(DeadLetterFields.Prefix, StringComparison.Ordinal)).ToArray());
    }
}
