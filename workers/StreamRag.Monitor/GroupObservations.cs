namespace StreamRag.Monitor;

/// <summary>
/// When the monitor first saw each watched group, and when a missing group first appeared: the start
/// of the <c>no_live_consumer</c> grace (<see cref="AlertOptions.NoConsumerGrace"/>).
/// </summary>
internal sealed class GroupObservations
{
    private readonly Dictionary<string, (bool Exists, DateTimeOffset Since)> seen = new(StringComparer.Ordinal);

    public IReadOnlyList<GroupState> Stamp(IReadOnlyList<GroupState> groups, DateTimeOffset now) =>
        groups.Select(g =>
        {
            if (!seen.TryGetValue(g.Subject, out var before) || (g.Exists && !before.Exists))
            {
                before = (g.Exists, now);
            }

            seen[g.Subject] = (g.Exists, before.Since);
            return g with { ObservedSince = before.Since };
        }).ToArray();
}
