
namespace StreamRag.Redis;

/// <summary>What became of one stream entry.</summary>
public readonly record struct EntryOutcome(EntryOutcomeKind Kind, string? Reason)
{
    public static EntryOutcome Ack { get; } = new(EntryOutcomeKind.Ack, null);

    public static EntryOutcome Retry(string reason) => new(EntryOutcomeKind.Retry, reason);

    public static EntryOutcome DeadLetter(string reason) => new(EntryOutcomeKind.DeadLetter, reason);
}
