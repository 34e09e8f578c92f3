using Xunit.v3;

namespace StreamRag.TestSupport;

/// <summary>
/// A scenario the cluster stage of <c>./test.sh</c> runs again against a local Redis Cluster
/// (<see cref="RedisServerFixture.ClusterVariable"/>), with <see cref="RedisServerFixture.ClusterShards"/>
/// partitions per tenant. It runs against the single server as well.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class ClusterScenarioAttribute : Attribute, ITraitAttribute
{
    /// <summary>The trait name the stages filter on (<c>--filter Cluster=…</c>).</summary>
    public const string Trait = "Cluster";

    public const string Value = "scenario";

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(Trait, Value)];
}

/// <summary>
/// A test of what only a Redis Cluster shows; it runs in the cluster stage alone (the other stages
/// filter it out, and against a single server it skips).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class ClusterOnlyAttribute : Attribute, ITraitAttribute
{
    public const string Value = "only";

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(ClusterScenarioAttribute.Trait, Value)];
}
