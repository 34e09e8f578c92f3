using System.Globalization;

namespace StreamRag.Index;

/// <summary>
/// Where the index's partitions are (manifest fields <c>layout*</c>, docs/keys.md#changing-the-shard-count).
/// Steady: <see cref="Current"/> only. While the shard count changes, <see cref="Next"/> too: every
/// write goes to both, reads stay on <see cref="Current"/> until the next layout holds every
/// document. After the switch, <see cref="Retired"/> names the old layout until its keys are gone.
/// </summary>
/// <param name="Number">Raised by every change of state; writes carry it, and fenced partitions refuse older ones.</param>
public sealed record IndexLayoutState(long Number, IndexLayout Current, IndexLayout? Next, IndexLayout? Retired)
{
    /// <summary>The layouts every write goes to: the current one, and the next while the change runs.</summary>
    public IEnumerable<IndexLayout> WriteLayouts => Next is null ? [Current] : [Current, Next];

    /// <summary>The layouts whose deletion outboxes may still hold records.</summary>
    public IEnumerable<IndexLayout> OutboxLayouts => Retired is null ? WriteLayouts : [Current, Retired];

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"layout {Number}: {Current.Shards} shard(s) (generation {Current.Generation})")
        + (Next is null ? "" : string.Create(CultureInfo.InvariantCulture, $", changing to {Next.Shards} (generation {Next.Generation})"))
        + (Retired is null ? "" : string.Create(CultureInfo.InvariantCulture, $", generation {Retired.Generation} ({Retired.Shards} shard(s)) retired, its keys not yet removed"));
}
