
namespace StreamRag.Index;

/// <summary>What a run of <see cref="ShardCountChange"/> did with the layout it found recorded.</summary>
public enum ShardCountChangeAction
{
    /// <summary>The index already had that shard count and no change was in progress.</summary>
    NothingToDo,

    /// <summary>A new change began.</summary>
    Started,

    /// <summary>An interrupted change to the same count went on from the step it had recorded.</summary>
    Resumed,

    /// <summary>An interrupted change was abandoned: the index stays at (or went back to) the count asked for.</summary>
    RolledBack,
}
