using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Redis;

/// <summary>How a worker consumes its stream (configuration section <c>Consumer</c>).</summary>
public sealed class ConsumerGroupOptions
{
    public const string Section = "Consumer";

    /// <summary>Consumer name within the group; unique per process. Defaults to host name and process id.</summary>
    public string? ConsumerName { get; set; }

    /// <summary>Most entries taken by one read.</summary>
    [Range(1, 10_000)]
    public int ReadCount { get; set; } = 64;

    /// <summary>Most entries being processed at once (bounds memory and concurrency).</summary>
    [Range(1, 100_000)]
    public int MaxInFlight { get; set; } = 128;

    /// <summary>
    /// After a read returns fewer than ReadCount entries, keep reading for up to this long to fill
    /// the batch (bigger embedding calls); zero hands every read over at once (lowest latency).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan BatchFillWait { get; set; } = TimeSpan.Zero;

    /// <summary>How long one blocking read waits server-side before looping (bounds shutdown time, not latency).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan BlockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An entry pending this long without a keep-alive belongs to a dead consumer and is reclaimed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often to look for entries to reclaim.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts of an entry whose handler asked for a retry, before it is dead-lettered.</summary>
    [Range(1, 1_000)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Deliveries (reads plus reclaims) after which an entry that never completes is dead-lettered.</summary>
    [Range(2, 10_000)]
    public int MaxDeliveries { get; set; } = 10;

    /// <summary>How long shutdown waits for in-flight entries before releasing them to other consumers.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Approximate cap of the dead-letter stream.</summary>
    [Range(100, 100_000_000)]
    public long DeadLetterMaxLength { get; set; } = 100_000;

    /// <summary>
    /// Trim the stream of entries that every consumer group has acknowledged (XTRIM MINID), so it
    /// stays bounded without ever dropping an entry some group still has to process.
    /// </summary>
    public bool TrimAcknowledged { get; set; } = true;

    /// <summary>Longest pause between retries after a transient failure (Redis or a provider down).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);
}

[OptionsValidator]
public sealed partial class ConsumerGroupOptionsValidator : IValidateOptions<ConsumerGroupOptions>;
