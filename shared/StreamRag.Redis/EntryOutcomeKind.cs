
namespace StreamRag.Redis;

public enum EntryOutcomeKind
{
    /// <summary>Done and durable: acknowledge.</summary>
    Ack,

    /// <summary>Failed in a way that may pass next time: retry (counted against MaxAttempts).</summary>
    Retry,

    /// <summary>Can never succeed: move to the dead-letter stream with the reason.</summary>
    DeadLetter,
}
