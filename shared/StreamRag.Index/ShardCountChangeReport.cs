using System.Globalization;

namespace StreamRag.Index;

/// <summary>What a change of shard count did (or, when <see cref="Finished"/> is false, has done so far).</summary>
/// <param name="Copied">Documents (live or tombstones) written into the new layout by the copy.</param>
/// <param name="AlreadyThere">Documents the new layout already held at the same or a newer version (written there by the fleet itself).</param>
/// <param name="RemovedKeys">Keys of the old (or abandoned) layout removed at the end.</param>
/// <param name="MovedOn">Documents the fleet kept changing while they were copied: each time read again, then left to the fleet's writes, which go to both layouts.</param>
public sealed record ShardCountChangeReport(int From, int To, long Copied, long AlreadyThere, long Tombstones, long RemovedKeys, long PassagesBefore, long PassagesAfter, bool Finished, string Detail,
    ShardCountChangeAction Action = ShardCountChangeAction.Started, long MovedOn = 0)
{
    /// <summary>The one-line summary the admin tools print.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{ActionText}: {From} -> {To} shards: {Copied} document(s) copied ({Tombstones} tombstone(s)), {AlreadyThere} already there, {MovedOn} changed while copied, {RemovedKeys} old key(s) removed; {PassagesBefore} passage(s) linked before, {PassagesAfter} after; {Detail}");

    private string ActionText => Action switch
    {
        ShardCountChangeAction.NothingToDo => "nothing done",
        ShardCountChangeAction.Resumed => "resumed",
        ShardCountChangeAction.RolledBack => "rolled back",
        _ => "started",
    };
}
