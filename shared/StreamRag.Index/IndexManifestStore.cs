using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>Reads and records the manifest. Recording never overwrites: the first writer of each part wins.</summary>
public static class IndexManifestStore
{
    public static async Task<IndexManifest?> ReadAsync(IDatabase db, KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        return IndexManifest.FromHash(await db.HashGetAllAsync(keys.IndexManifest));
    }

    /// <summary>
    /// Records <paramref name="engine"/>, the stream partitions of <paramref name="keys"/> (and <paramref name="model"/>, when given) unless already
    /// recorded, and returns the manifest as it then stands, in one MULTI/EXEC of HSETNX and HGETALL:
    /// of two hosts racing, both see the winner's record. The engine and the model are separate
    /// parts: a host that does not embed records only the engine, and the first host that embeds adds
    /// its model later. The model's fields are written together or not at all (the transaction is
    /// conditional on no model being recorded, and runs again without them if one is), so the
    /// precision of a host never joins a model recorded by another (an older manifest's model has
    /// none, and stays float32).
    /// </summary>
    public static async Task<IndexManifest> RecordAsync(IDatabase db, KeySchema keys, string engine, IndexModel? model, DateTimeOffset now, string host)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        var key = keys.IndexManifest;
        var at = IndexManifest.FormatTime(now);
        var transaction = db.CreateTransaction();
        if (model is not null)
        {
            transaction.AddCondition(Condition.HashNotExists(key, IndexManifestFields.Model));
        }

        var writes = new List<Task>
        {
            transaction.HashSetAsync(key, IndexManifestFields.Format, IndexManifest.FormatVersion, When.NotExists),
            transaction.HashSetAsync(key, IndexManifestFields.Engine, engine, When.NotExists),
            transaction.HashSetAsync(key, IndexManifestFields.CreatedAt, at, When.NotExists),
            transaction.HashSetAsync(key, IndexManifestFields.CreatedBy, host, When.NotExists),
            transaction.HashSetAsync(key, IndexManifestFields.StreamPartitions, keys.StreamPartitions, When.NotExists),
            // The shard count of a new index is the configured one; from then on the record rules (ShardCountChange changes it).
            transaction.HashSetAsync(key, IndexLayoutFields.Number, 0, When.NotExists),
            transaction.HashSetAsync(key, IndexLayoutFields.Current, new IndexLayout(0, keys.Shards).ToString(), When.NotExists),
        };
        if (model is not null)
        {
            writes.Add(transaction.HashSetAsync(key, IndexManifestFields.Model, model.Id, When.NotExists));
            writes.Add(transaction.HashSetAsync(key, IndexManifestFields.ModelProvider, model.Provider, When.NotExists));
            writes.Add(transaction.HashSetAsync(key, IndexManifestFields.Dimensions, model.Dimensions, When.NotExists));
            writes.Add(transaction.HashSetAsync(key, IndexManifestFields.ModelPrecision, model.Precision, When.NotExists));
            writes.Add(transaction.HashSetAsync(key, IndexManifestFields.ModelRecordedAt, at, When.NotExists));
            writes.Add(transaction.HashSetAsync(key, IndexManifestFields.ModelRecordedBy, host, When.NotExists));
        }

        var all = transaction.HashGetAllAsync(key);
        if (!await transaction.ExecuteAsync())
        {
            if (model is not null)
            {
                // A model is recorded already: record the rest, and the caller checks its model against that one.
                return await RecordAsync(db, keys, engine, model: null, now, host);
            }

            throw new InvalidOperationException($"recording the index manifest {key} was not executed");
        }

        await Task.WhenAll(writes);
        return IndexManifest.FromHash(await all)
            ?? throw new InvalidOperationException($"the index manifest {key} has no engine after recording one");
    }
}
