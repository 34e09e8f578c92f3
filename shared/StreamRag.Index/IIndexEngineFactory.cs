using StackExchange.Redis;

namespace StreamRag.Index;

/// <summary>
/// An index engine a host can run, as the engine's project registers it: <see cref="SelectedVectorIndex"/>
/// picks one by <see cref="Name"/> without knowing any engine's type.
/// </summary>
public interface IIndexEngineFactory
{
    /// <summary>The engine's name in settings and the index manifest (<see cref="IndexEngineChoice"/>).</summary>
    string Name { get; }

    /// <summary>What the engine needs of the server, for messages ("the Query Engine").</summary>
    string Description { get; }

    /// <summary>Whether the server can run this engine, and what it answered when asked.</summary>
    Task<(bool Available, string Answer)> ProbeAsync(IDatabase db);

    /// <summary>The engine, ready to serve (for the Query Engine: its index created or checked).</summary>
    Task<IVectorIndex> StartAsync(CancellationToken cancellationToken);
}

/// <summary>Vector sets: part of every Redis 8, nothing to create.</summary>
internal sealed class VectorSetEngineFactory(VectorSetIndex index) : IIndexEngineFactory
{
    public string Name => IndexEngineChoice.VectorSet;

    public string Description => "Redis 8 vector sets";

    public Task<(bool Available, string Answer)> ProbeAsync(IDatabase db) => Task.FromResult((true, "vector sets are part of Redis 8"));

    public Task<IVectorIndex> StartAsync(CancellationToken cancellationToken) => Task.FromResult<IVectorIndex>(index);
}
