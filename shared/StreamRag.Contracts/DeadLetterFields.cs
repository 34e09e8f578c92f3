namespace StreamRag.Contracts;

/// <summary>
/// Fields a consumer adds to an entry it sets aside on a dead-letter stream
/// (<c>{docs}:events:dlq</c>, <c>{queries}:requests:dlq</c>), beside the entry's own fields
/// (docs/contract.md, "Dead letters"). The original's own fields starting with <see cref="Prefix"/>
/// are dropped, so these cannot be forged.
/// </summary>
public static class DeadLetterFields
{
    /// <summary>What every dead-letter field starts with.</summary>
    public const string Prefix = "dlq_";

    /// <summary>Why: an error code, a colon, and a message (<c>bad_json: …</c>).</summary>
    public const string Reason = "dlq_reason";

    /// <summary>The id of the original entry on its stream.</summary>
    public const string Id = "dlq_id";

    /// <summary>How many times the original was delivered.</summary>
    public const string Deliveries = "dlq_deliveries";

    /// <summary>The consumer that set it aside.</summary>
    public const string Consumer = "dlq_consumer";

    /// <summary>When, as Unix milliseconds.</summary>
    public const string Time = "dlq_at";
}
