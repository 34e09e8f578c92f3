using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Ingest;

/// <summary>What ingest last made searchable for a document id.</summary>
/// <param name="Digest">The file's digest: content and the metadata ingest gave it (<see cref="IngestLedger.DigestOf"/>).</param>
/// <param name="Version">The version ingest posted.</param>
/// <param name="IndexHash">The content hash the index stored for it (the document hash's <c>hash</c> field).</param>
public sealed record LedgerEntry(string Digest, long Version, string IndexHash);

/// <summary>
/// The hash <see cref="KeySchema.IngestLedger"/> (one per tenant, in Redis beside the index, so a re-run
/// from any machine sees it). A document is unchanged, and skipped, when its digest is the one recorded
/// and the index still holds the content recorded with it (same content hash, not deleted): an update
/// by another producer, a delete or an expiry makes ingest post it again.
/// </summary>
public sealed class IngestLedger(IDatabase db, KeySchema keys, string tenant)
{
    private readonly RedisKey key = keys.IngestLedger(tenant);

    /// <summary>Hex of the first 16 bytes of SHA-256 over the metadata and the content.</summary>
    public static string DigestOf(string content, string source, IReadOnlyList<string> tags, long? ttlSeconds)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(tags);
        var header = string.Create(CultureInfo.InvariantCulture, $"ingest-v1\n{source}\n{string.Join(',', tags)}\n{ttlSeconds}\n");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(header + content), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    public async Task<LedgerEntry?[]> ReadAsync(IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return [];
        }

        var values = await db.HashGetAsync(key, ids.Select(i => (RedisValue)i).ToArray());
        return values.Select(v => Parse(v)).ToArray();
    }

    public Task RecordAsync(IReadOnlyList<(string Id, LedgerEntry Entry)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return entries.Count == 0
            ? Task.CompletedTask
            : db.HashSetAsync(key, entries.Select(e => new HashEntry(e.Id, Format(e.Entry))).ToArray());
    }

    internal static string Format(LedgerEntry entry) =>
        string.Create(CultureInfo.InvariantCulture, $"{entry.Digest} {entry.Version} {entry.IndexHash}");

    internal static LedgerEntry? Parse(RedisValue value)
    {
        var parts = ((string?)value)?.Split(' ');
        return parts is [var digest, var version, var hash] && long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? new LedgerEntry(digest, v, hash)
            : null;
    }
}
