using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>The copy of each document from the old layout into the next (one step of <see cref="ShardCountChange"/>).</summary>
public sealed partial class ShardCountChange
{
    // A document read again this many times because the fleet changed it meanwhile is left to the
    // fleet's own writes, which reach the new layout too (it is written after the old one).
    private const int CopyTries = 3;

    private static readonly string SnapshotScript = DocumentFields.Lua + PartitionScripts.Read("snapshot.lua");

    /// <summary>
    /// Test seam: awaited at each step of each document's copy (tenant, document id), where a write of the
    /// fleet can come between; the race tests write there, and cancel there to interrupt a change.
    /// </summary>
    internal Func<CopyStep, string, string, CancellationToken, Task>? OnCopyStep { get; init; }


    /// <summary>Copies one tenant's documents, each one partition at a time, from every old partition into the next layout.</summary>
    private async Task<CopyCounts> CopyTenantAsync(IConnectionMultiplexer connection, IDatabase db, IndexLayoutState state, string tenant, IndexLayout next, CancellationToken cancellationToken)
    {
        var counts = new CopyCounts();
        foreach (var partition in state.Current.PartitionsOf(keys, tenant))
        {
            await foreach (var key in DocumentKeysAsync(connection, partition, cancellationToken))
            {
                var id = ((string)key!)[((string)partition.Document("")!).Length..];
                await StepAsync(CopyStep.Found, tenant, id, cancellationToken);
                await CopyDocumentAsync(db, state, partition, next.PartitionOf(keys, tenant, id), tenant, id, counts, cancellationToken);
            }
        }

        return counts;
    }

    /// <summary>
    /// Copies one document from a snapshot, then reads the old layout again: if the document moved on
    /// meanwhile, copies it again. A new version or a delete the fleet writes to both layouts (the version
    /// check keeps the newer); an expiry changes no version, and its second copy may have come before this
    /// one, so it is what the second read is for.
    /// </summary>
    private async Task CopyDocumentAsync(IDatabase db, IndexLayoutState state, IndexPartition source, IndexPartition target, string tenant, string id, CopyCounts counts, CancellationToken cancellationToken)
    {
        var applied = false;
        for (var attempt = 1; attempt <= CopyTries; attempt++)
        {
            var snapshot = await SnapshotAsync(db, source, tenant, id);
            if (snapshot is null)
            {
                // Gone (a tombstone timed out) since the scan found it: nothing to copy.
                return;
            }

            await StepAsync(CopyStep.Read, tenant, id, cancellationToken);
            applied |= await WriteAsync(db, state, target, tenant, snapshot);
            await StepAsync(CopyStep.Written, tenant, id, cancellationToken);
            var now = await db.HashGetAsync(source.Document(id), [DocumentFields.Version, DocumentFields.Deleted]);
            if (now[0].IsNull || ((string?)now[0] == snapshot.VersionText && (now[1] == "1") == snapshot.Deleted))
            {
                if (!applied)
                {
                    counts.There++;
                    return;
                }

                counts.Copied++;
                counts.Tombstones += snapshot.Deleted ? 1 : 0;
                return;
            }
        }

        counts.MovedOn++;
    }

    /// <summary>Writes a snapshot into its new partition, version-checked like any write; true when it was applied.</summary>
    private async Task<bool> WriteAsync(IDatabase db, IndexLayoutState state, IndexPartition target, string tenant, DocumentSnapshot snapshot)
    {
        if (!snapshot.Deleted)
        {
            var (code, _) = await scripts.UpsertAsync(db, target, state.Number, snapshot.Document, snapshot.Document.Chunks);
            return code == 1;
        }

        if (await scripts.DeleteAsync(db, target, state.Number, snapshot.Document.Id, snapshot.Document.Version) == 1)
        {
            return true;
        }

        // The same version live in the new layout beside a tombstone in the old: the retention sweeper
        // expired it in the old layout and found it not (yet) due in the new one, before this copy put it
        // there. Expired there the same way, without a second deletion record.
        var held = await PartitionReads.DocumentStateAsync(db, target, snapshot.Document.Id);
        var due = await db.SortedSetScoreAsync(target.ExpiryIndex, snapshot.Document.Id);
        if (held is { Deleted: false } && held.Version == snapshot.Document.Version && due is { } at)
        {
            var expired = await scripts.ExpireAsync(db, tenant, target, state.Number, [new ExpiringDocument(snapshot.Document.Id, DateTimeOffset.FromUnixTimeMilliseconds((long)at))], null, record: false);
            return expired.Count == 1;
        }

        return false;
    }

    /// <summary>One document as it stands in one instant (snapshot.lua), or null when its hash is gone or holds no version.</summary>
    private static async Task<DocumentSnapshot?> SnapshotAsync(IDatabase db, IndexPartition partition, string tenant, string id)
    {
        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(SnapshotScript, [partition.Document(id), partition.VectorSet], [id]))!;
        var flat = (RedisResult[])reply[0]!;
        var fields = new Dictionary<string, string?>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            fields[(string)flat[i]!] = (string?)flat[i + 1];
        }

        if (!fields.TryGetValue(DocumentFields.Version, out var versionText) || !long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return null;
        }

        var deleted = fields.GetValueOrDefault(DocumentFields.Deleted) == "1";
        // The script answers one entry per passage the hash names; an empty one is a passage left out of the graph.
        var chunks = Enumerable.Range(0, reply.Length - 1).Select(i =>
        {
            var vector = reply[i + 1].Length > 0 ? ((RedisResult[])reply[i + 1]!).Select(v => (float)(double)v).ToArray() : [];
            return new IndexedChunk(i, fields.GetValueOrDefault(DocumentFields.Passage(i)) ?? "", vector);
        }).ToArray();
        var expires = fields.GetValueOrDefault("expires_at");
        var tags = fields.GetValueOrDefault(DocumentFields.Tags);
        return new DocumentSnapshot(versionText!, deleted, new IndexedDocument(
            tenant,
            id,
            version,
            fields.GetValueOrDefault(DocumentFields.ContentHash) ?? "",
            fields.GetValueOrDefault(DocumentFields.Source) ?? "",
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields.GetValueOrDefault(DocumentFields.Timestamp) ?? "0", CultureInfo.InvariantCulture)),
            string.IsNullOrEmpty(tags) ? [] : tags.Split(','),
            string.IsNullOrEmpty(expires) ? null : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(expires, CultureInfo.InvariantCulture)),
            chunks));
    }

    private Task StepAsync(CopyStep step, string tenant, string id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return OnCopyStep?.Invoke(step, tenant, id, cancellationToken) ?? Task.CompletedTask;
    }

}
