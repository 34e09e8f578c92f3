namespace StreamRag.Contracts;

/// <summary>Metadata filters: all given conditions must hold.</summary>
/// <param name="Sources">The document's source is one of these.</param>
/// <param name="TagsAny">The document has at least one of these tags.</param>
/// <param name="TagsAll">The document has every one of these tags.</param>
/// <param name="From">The document's timestamp is at or after this instant.</param>
/// <param name="To">The document's timestamp is at or before this instant.</param>
public sealed record QueryFilters(
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> TagsAny,
    IReadOnlyList<string> TagsAll,
    DateTimeOffset? From,
    DateTimeOffset? To)
{
    public static QueryFilters None { get; } = new([], [], [], null, null);

    public bool IsEmpty => Sources.Count == 0 && TagsAny.Count == 0 && TagsAll.Count == 0 && From is null && To is null;
}
