using Microsoft.Extensions.Logging;

namespace StreamRag.Redis;

/// <summary>Log messages of the consumer runner and its parts (category <see cref="ConsumerGroupRunner"/>).</summary>
internal static partial class ConsumerLog
{
    [LoggerMessage(1000, LogLevel.Information, "Consuming {Stream} as {Group}/{Consumer}")]
    public static partial void Started(ILogger logger, string stream, string group, string consumer);

    [LoggerMessage(1001, LogLevel.Warning, "Reading {Stream} failed ({Failures} in a row); backing off")]
    public static partial void ReadFailed(ILogger logger, Exception ex, string stream, int failures);

    [LoggerMessage(1002, LogLevel.Warning, "Consumer group {Group} of {Stream} is missing; creating it again")]
    public static partial void GroupMissing(ILogger logger, string stream, string group);

    [LoggerMessage(1003, LogLevel.Information, "Reclaimed {Count} abandoned entries of {Stream} for {Consumer}")]
    public static partial void Reclaimed(ILogger logger, int count, string stream, string consumer);

    [LoggerMessage(1004, LogLevel.Warning, "Batch of {Count} entries of {Stream} hit a transient failure ({Failures} in a row); holding them and retrying, not counted as an attempt")]
    public static partial void BatchHeld(ILogger logger, Exception ex, int count, string stream, int failures);

    [LoggerMessage(1005, LogLevel.Warning, "Dead-lettered entry {Id} of {Stream}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string? id, string stream, string reason);

    [LoggerMessage(1006, LogLevel.Warning, "Acknowledging entries of {Stream} failed ({Failures} in a row); retrying")]
    public static partial void SettleFailed(ILogger logger, Exception ex, string stream, int failures);

    [LoggerMessage(1007, LogLevel.Debug, "Keep-alive of in-flight entries of {Stream} failed")]
    public static partial void KeepAliveFailed(ILogger logger, Exception ex, string stream);

    [LoggerMessage(1008, LogLevel.Information, "Stopping: waiting for {Count} in-flight batches of {Stream}")]
    public static partial void Draining(ILogger logger, string stream, int count);

    [LoggerMessage(1009, LogLevel.Information, "Released {Count} unfinished entries of {Stream} to other consumers")]
    public static partial void Released(ILogger logger, int count, string stream);

    [LoggerMessage(1010, LogLevel.Information, "Stopped consuming {Stream} as {Consumer}")]
    public static partial void Stopped(ILogger logger, string stream, string consumer);

    [LoggerMessage(1011, LogLevel.Warning, "Could not {What} ({Failures} in a row); retrying")]
    public static partial void TransientFailure(ILogger logger, Exception ex, string what, int failures);

    [LoggerMessage(1012, LogLevel.Debug, "Recording the group state of {Stream} or trimming it failed; trying again next interval")]
    public static partial void UpkeepFailed(ILogger logger, Exception ex, string stream);

    [LoggerMessage(1013, LogLevel.Warning, "Batch of {Count} entries of {Stream} failed (attempt {Attempt} of {MaxAttempts}); retrying")]
    public static partial void AttemptFailed(ILogger logger, Exception ex, int count, string stream, int attempt, int maxAttempts);

    [LoggerMessage(1014, LogLevel.Warning, "Batch of {Count} entries of {Stream} failed {Attempts} times; splitting it to find the entry at fault")]
    public static partial void Splitting(ILogger logger, int count, string stream, int attempts);

    [LoggerMessage(1015, LogLevel.Debug, "Trimmed {Stream} below {MinId}: {Removed} entries removed")]
    public static partial void Trimmed(ILogger logger, string stream, string minId, long removed);

    [LoggerMessage(1016, LogLevel.Warning, "{Count} entries of {Stream} still in flight here were idle past ClaimIdle (their keep-alive fell behind: the host is overloaded or stalled); left to the work already on them")]
    public static partial void InFlightReclaimed(ILogger logger, int count, string stream);

    [LoggerMessage(1017, LogLevel.Information, "Not dead-lettering entry {Id} of {Stream}: it is no longer pending to {Consumer} (another consumer took it over or it was settled)")]
    public static partial void NotOursToDeadLetter(ILogger logger, string id, string stream, string consumer);
}
