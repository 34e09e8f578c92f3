namespace StreamRag.Monitor;

/// <summary>Everything one evaluation judges.</summary>
internal sealed record MonitorSnapshot(
    DateTimeOffset At,
    WindowSnapshot Window,
    RedisSnapshot Redis,
    IReadOnlyDictionary<string, long> DeadLetterGrowth,
    IReadOnlyDictionary<string, long> DeadLettersAdded,
    TuningState? Tuning);
