using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Sweeper;

/// <summary>The retention sweeper (configuration section <c>Sweeper</c>).</summary>
public sealed class SweeperOptions
{
    public const string Section = "Sweeper";

    /// <summary>How often due documents are looked for: a document is deleted at most this long after it expires (plus the time to work off a backlog).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Documents deleted by one script call: bounds how long Redis is held by the sweeper at a time.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 128;

    /// <summary>Approximate cap of the document-deletions audit stream.</summary>
    [Range(1_000, 1_000_000_000)]
    public long DeletionsMaxLength { get; set; } = 1_000_000;

    /// <summary>How often deletion records left in the outbox by a sweeper that stopped mid-batch are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A deletion record still in the outbox this long after its deletion was abandoned by its sweeper; another one publishes it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan OrphanAge { get; set; } = TimeSpan.FromSeconds(30);
}

[OptionsValidator]
public sealed partial class SweeperOptionsValidator : IValidateOptions<SweeperOptions>;
