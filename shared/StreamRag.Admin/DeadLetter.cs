using StackExchange.Redis;

namespace StreamRag.Admin;

/// <summary>
/// One dead letter. <see cref="Original"/> are the fields of the entry as it was posted (what the
/// runner copied, in order, without its own <c>dlq_*</c> fields), raw: a query's vector stays bytes.
/// </summary>
public sealed record DeadLetter(
    DeadLetterStream Stream,
    string Id,
    string? OriginalId,
    string Reason,
    long Deliveries,
    string? Consumer,
    DateTimeOffset? At,
    IReadOnlyList<NameValueEntry> Original);
