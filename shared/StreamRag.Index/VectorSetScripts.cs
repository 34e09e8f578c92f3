using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The vector-set engine's write scripts, run on one partition under one layout number. Each script
/// starts with fence.lua (a partition fenced at a later layout refuses: <see cref="LayoutChangedException"/>)
/// and copies.lua (the exact count of linked copies per vector).
/// </summary>
internal sealed class VectorSetScripts(IndexOptions settings)
{
    private static readonly string Prelude = PartitionScripts.Read("fence.lua") + PartitionScripts.Metadata + PartitionScripts.Read("copies.lua");
    private static readonly string UpsertScript = Prelude + PartitionScripts.Read("upsert.lua");
    private static readonly string DeleteScript = Prelude + PartitionScripts.Read("delete.lua");
    private static readonly string ExpireScript = Prelude + PartitionScripts.Read("expire.lua");

    /// <summary>Result code and passages left out of the graph.</summary>
    public async Task<(int Code, int Unlinked)> UpsertAsync(IDatabase db, IndexPartition partition, long layout, IndexedDocument document, IReadOnlyList<IndexedChunk>? chunks)
    {
        var args = new List<RedisValue>(15 + (3 * (chunks?.Count ?? 0))) { layout };
        args.AddRange(PartitionScripts.DocumentArguments(document));
        args.AddRange(
        [
            Attributes(document),
            chunks is null ? "0" : "1",
            settings.Quantization,
            settings.EfConstruction,
            settings.M,
            chunks?.Count ?? 0,
            settings.MaxDuplicatePassages,
        ]);
        if (chunks is not null)
        {
            foreach (var chunk in chunks.OrderBy(c => c.Index))
            {
                if (chunk.Vector.IsEmpty)
                {
                    // A passage stored unlinked whose vector is not known (copied by a change of shard count).
                    args.Add("");
                    args.Add(chunk.Text);
                    args.Add("-");
                    continue;
                }

                var blob = MemoryMarshal.AsBytes(chunk.Vector.Span).ToArray();
                args.Add(blob);
                args.Add(chunk.Text);
                // Identical vectors have identical fingerprints: how the script tells copies from passages that merely score alike.
                args.Add(Convert.ToHexStringLower(XxHash3.Hash(blob)));
            }
        }

        var result = (RedisResult[])(await RunAsync(db, UpsertScript, DocumentKeys(partition, document.Id), args.ToArray()))!;
        return ((int)result[0], result.Length > 1 ? (int)result[1] : 0);
    }

    /// <summary>1 applied, 0 stale.</summary>
    public async Task<int> DeleteAsync(IDatabase db, IndexPartition partition, long layout, string documentId, long version) =>
        (int)await RunAsync(db, DeleteScript, DocumentKeys(partition, documentId),
            [layout, documentId, version, (long)settings.TombstoneRetention.TotalMilliseconds]);

    /// <param name="record">Write deletion records to the partition's outbox (false for the second copy while the shard count changes).</param>
    public async Task<IReadOnlyList<ExpiredDocument>> ExpireAsync(IDatabase db, string tenant, IndexPartition partition, long layout, IReadOnlyList<ExpiringDocument> due, DateTimeOffset? deletedAt, bool record)
    {
        var keyList = new RedisKey[6 + due.Count];
        keyList[0] = partition.Fence;
        keyList[1] = partition.VectorSet;
        keyList[2] = partition.ExpiryIndex;
        keyList[3] = partition.Epoch;
        keyList[4] = partition.DeletionOutbox;
        keyList[5] = partition.LinkedCopies;
        var args = new RedisValue[4 + (2 * due.Count)];
        args[0] = layout;
        args[1] = (long)settings.TombstoneRetention.TotalMilliseconds;
        args[2] = deletedAt is { } at ? at.ToUnixTimeMilliseconds() : "";
        args[3] = record ? "1" : "0";
        for (var i = 0; i < due.Count; i++)
        {
            keyList[6 + i] = partition.Document(due[i].Id);
            args[4 + (2 * i)] = due[i].Id;
            args[5 + (2 * i)] = due[i].ExpiresAt.ToUnixTimeMilliseconds();
        }

        var result = (RedisResult[])(await RunAsync(db, ExpireScript, keyList, args))!;
        var expired = new ExpiredDocument[result.Length / 6];
        for (var i = 0; i < expired.Length; i++)
        {
            var r = result.AsSpan(i * 6, 6);
            expired[i] = new ExpiredDocument(
                tenant,
                (string)r[0]!,
                (long)r[1],
                (string?)r[2] ?? "",
                DateTimeOffset.FromUnixTimeMilliseconds((long)r[3]),
                DateTimeOffset.FromUnixTimeMilliseconds((long)r[4]),
                (string)r[5]!,
                (string)partition.DeletionOutbox!);
        }

        return expired;
    }

    private static async Task<RedisResult> RunAsync(IDatabase db, string script, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await db.ScriptEvaluateAsync(script, keys, args);
        }
        catch (RedisServerException ex) when (LayoutChangedException.IsFenced(ex))
        {
            throw new LayoutChangedException(ex.Message, ex);
        }
    }

    private static RedisKey[] DocumentKeys(IndexPartition partition, string documentId) =>
        [partition.Fence, partition.VectorSet, partition.Document(documentId), partition.ExpiryIndex, partition.Epoch, partition.LinkedCopies];

    private static string Attributes(IndexedDocument document)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("source", document.Source);
            writer.WriteNumber("ts", document.Timestamp.ToUnixTimeMilliseconds());
            writer.WriteStartArray("tags");
            foreach (var tag in document.Tags)
            {
                writer.WriteStringValue(tag);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
