using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The engine-independent record of what an index is (hash <see cref="KeySchema.IndexManifest"/>,
/// docs/keys.md): the engine it was built with, and the embedding model and dimension of its vectors.
/// The first host records it; every other host adopts it or refuses to start (<see cref="IndexManifestRules"/>),
/// so one fleet never writes one engine while it searches the other, nor mixes two models' vectors.
/// </summary>
/// <param name="Engine">vectorset or search.</param>
/// <param name="Model">The embedding model (the generator's model id), null until a host that embeds has started.</param>
/// <param name="StreamPartitions">Partitions of the input streams (<c>Streams:Partitions</c>), null in a manifest written before they were recorded.</param>
public sealed record IndexManifest(
    string Engine,
    DateTimeOffset? CreatedAt,
    string? CreatedBy,
    IndexModel? Model,
    DateTimeOffset? ModelRecordedAt,
    string? ModelRecordedBy,
    int? StreamPartitions = null)
{
    public const int FormatVersion = 1;

    /// <summary>The manifest a hash holds, or null when it records no engine (absent, or not written yet).</summary>
    public static IndexManifest? FromHash(HashEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var fields = entries.ToDictionary(e => (string)e.Name!, e => (string?)e.Value, StringComparer.Ordinal);
        if (!fields.TryGetValue(IndexManifestFields.Engine, out var engine) || string.IsNullOrEmpty(engine))
        {
            return null;
        }

        IndexModel? model = null;
        if (fields.TryGetValue(IndexManifestFields.Model, out var id) && id is not null)
        {
            model = new IndexModel(
                id,
                fields.GetValueOrDefault(IndexManifestFields.ModelProvider) ?? "",
                int.TryParse(fields.GetValueOrDefault(IndexManifestFields.Dimensions), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 0,
                // A manifest written before precisions were recorded holds float32 vectors: there was no other.
                fields.GetValueOrDefault(IndexManifestFields.ModelPrecision) is { Length: > 0 } precision ? precision : IndexModel.DefaultPrecision);
        }

        return new IndexManifest(
            engine,
            Time(fields.GetValueOrDefault(IndexManifestFields.CreatedAt)),
            fields.GetValueOrDefault(IndexManifestFields.CreatedBy),
            model,
            Time(fields.GetValueOrDefault(IndexManifestFields.ModelRecordedAt)),
            fields.GetValueOrDefault(IndexManifestFields.ModelRecordedBy),
            int.TryParse(fields.GetValueOrDefault(IndexManifestFields.StreamPartitions), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null);
    }

    /// <summary>Where the engine came from, for messages: "recorded by X at T".</summary>
    public string Provenance => $"recorded by {CreatedBy ?? "an unknown host"} at {(CreatedAt is { } at ? FormatTime(at) : "an unknown time")}";

    /// <summary>Where the model came from, for messages.</summary>
    public string ModelProvenance => $"recorded by {ModelRecordedBy ?? "an unknown host"} at {(ModelRecordedAt is { } at ? FormatTime(at) : "an unknown time")}";

    /// <summary>How the manifest writes an instant: ISO 8601 in UTC with milliseconds, e.g. 2026-05-01T10:00:00.000Z.</summary>
    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;
}

/// <summary>
/// The embedding model of an index's vectors: the generator's model id and provider, the dimension,
/// and the precision of the weights that made them (<c>float32</c>, or <c>int8</c> for a local model
/// quantized to 8 bits: its vectors differ slightly from float32's, so the two are not mixed).
/// </summary>
public sealed record IndexModel(string Id, string Provider, int Dimensions, string Precision = IndexModel.DefaultPrecision)
{
    /// <summary>The precision of every provider's vectors except a quantized local model's.</summary>
    public const string DefaultPrecision = "float32";

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Id} (provider {(Provider.Length == 0 ? "unknown" : Provider)}, {Dimensions} dimensions, {Precision})");

    /// <summary>Vectors of the two are interchangeable: same model id, dimension and precision (the provider that serves it may differ).</summary>
    public bool SameVectorsAs(IndexModel other) =>
        other is not null && string.Equals(Id, other.Id, StringComparison.Ordinal) && Dimensions == other.Dimensions
        && string.Equals(Precision, other.Precision, StringComparison.Ordinal);
}

/// <summary>Field names of the manifest hash (docs/keys.md).</summary>
public static class IndexManifestFields
{
    public const string Format = "format";
    public const string Engine = "engine";
    public const string CreatedAt = "created_at";
    public const string CreatedBy = "created_by";
    public const string Model = "model";
    public const string ModelProvider = "model_provider";
    public const string Dimensions = "dimensions";
    public const string ModelPrecision = "model_precision";
    public const string ModelRecordedAt = "model_recorded_at";
    public const string ModelRecordedBy = "model_recorded_by";
    public const string StreamPartitions = KeySchema.StreamPartitionsManifestField;
}

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

/// <summary>Decisions about a recorded manifest (pure, so they are unit-tested).</summary>
public static class IndexManifestRules
{
    /// <summary>
    /// The engine to run, given the configured <c>Index:Engine</c> and what the manifest records:
    /// <c>auto</c> adopts the record; an explicit engine must match it.
    /// </summary>
    /// <exception cref="IndexManifestConflictException">The configuration names another engine than the recorded one.</exception>
    public static string AdoptEngine(string configured, IndexManifest manifest, KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(keys);
        if (configured == "auto" || string.Equals(configured, manifest.Engine, StringComparison.Ordinal))
        {
            return manifest.Engine;
        }

        throw new IndexManifestConflictException(
            $"Index:Engine={configured} but the index under prefix '{keys.Prefix}' was built with the {manifest.Engine} engine "
            + $"({keys.IndexManifest}: {manifest.Provenance}). Set Index:Engine={manifest.Engine} (or auto) on this host, "
            + "or use another Redis:KeyPrefix for an index of the other engine (docs/operations.md#one-index-one-model).");
    }

    /// <summary>A host that embeds must embed with the model the index was built with, at its precision.</summary>
    /// <exception cref="IndexManifestConflictException">Another model, dimension or precision is recorded.</exception>
    public static void CheckModel(IndexModel configured, IndexManifest manifest, KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(keys);
        if (manifest.Model is not { } recorded || configured.SameVectorsAs(recorded))
        {
            return;
        }

        var what = configured with { Precision = recorded.Precision, Provider = recorded.Provider } == recorded
            ? $"Vectors of {recorded.Precision} and {configured.Precision} weights differ and cannot be searched together: set Embedding:Local:Precision={recorded.Precision}"
            : "Vectors of two models cannot be searched together: configure the recorded model";
        throw new IndexManifestConflictException(
            $"This host embeds with {configured}, but the index under prefix '{keys.Prefix}' was built with {recorded} "
            + $"({keys.IndexManifest}: {manifest.ModelProvenance}). {what}, "
            + "or re-embed into a new index under another Redis:KeyPrefix and switch to it "
            + "(docs/operations.md#re-embedding-into-a-new-model).");
    }

    /// <summary>Every host and producer of an index must split the input streams the same way.</summary>
    /// <exception cref="IndexManifestConflictException">Another number of stream partitions is recorded.</exception>
    public static void CheckStreamPartitions(IndexManifest manifest, KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(keys);
        if (manifest.StreamPartitions is not { } recorded || recorded == keys.StreamPartitions)
        {
            return;
        }

        throw new IndexManifestConflictException(StreamPartitionsConflict(keys.Prefix, keys.StreamPartitions, recorded, manifest.Provenance));
    }

    /// <summary>The message of a host or producer whose <c>Streams:Partitions</c> differs from the recorded one.</summary>
    public static string StreamPartitionsConflict(string prefix, int configured, int recorded, string provenance) =>
        string.Create(CultureInfo.InvariantCulture,
            $"Streams:Partitions={configured} but the index under prefix '{prefix}' splits its input streams into {recorded} partition(s) "
            + $"({prefix}:manifest, {provenance}). Events and requests written to other partitions would never be read: set "
            + $"Streams:Partitions={recorded} on this host (docs/operations.md#stream-partitions).");
}

/// <summary>This host's configuration contradicts the index manifest; the host must not start.</summary>
public sealed class IndexManifestConflictException(string message) : Exception(message);
