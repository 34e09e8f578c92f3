using System.Globalization;
using StreamRag.Redis;

namespace StreamRag.Index;

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
