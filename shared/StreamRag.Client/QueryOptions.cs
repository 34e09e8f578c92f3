using System.ComponentModel.DataAnnotations;
using StreamRag.Contracts;

namespace StreamRag.Client;

/// <summary>A query as an app asks it.</summary>
public sealed record QueryOptions
{
    public int K { get; init; } = QueryRequestParser.DefaultK;

    public QueryFilters Filters { get; init; } = QueryFilters.None;

    public QueryMode Mode { get; init; } = QueryMode.Search;

    public string Tenant { get; init; } = DocumentEventParser.DefaultTenant;

    public int? Ef { get; init; }

    /// <summary>A signed tenant token granting <see cref="Tenant"/> <c>query</c>; the client's <see cref="StreamRagClient.Token"/> when null.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// How long to wait for the reply, all postings and retries included; also sent as the
    /// request's deadline. To ride out a Redis Cluster failover it must outlast one
    /// (<c>cluster-node-timeout</c> plus the replica's promotion).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long to wait for the reply to the first posting before posting the request again, with
    /// the same id (so the worker's answer is the same; the first reply wins, later ones are
    /// ignored); each later wait is twice the one before, so a busy fleet is sent few extra postings.
    /// A re-post recovers a request lost with a master that had not replicated it, or a reply
    /// published while this client's subscription was moving to another node. Null (the default):
    /// <see cref="DefaultRepostAfter"/> for <c>search</c>; for <c>answer</c> half of
    /// <see cref="Timeout"/>, and at least that, since a chat model's answer can take seconds and a
    /// re-post sooner would have it generated twice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan? RepostAfter { get; init; }

    /// <summary>The wait before the first re-post of a <c>search</c> when <see cref="RepostAfter"/> is not set.</summary>
    public static TimeSpan DefaultRepostAfter { get; } = TimeSpan.FromSeconds(2);

    /// <summary>The wait before the first re-post, as <see cref="RepostAfter"/> says.</summary>
    public TimeSpan EffectiveRepostAfter => RepostAfter
        ?? (Mode == QueryMode.Answer && Timeout / 2 > DefaultRepostAfter ? Timeout / 2 : DefaultRepostAfter);

    /// <summary>
    /// Most postings Redis accepted, the first included (1: never post again). A posting Redis
    /// refused (connection lost, <c>READONLY</c> or <c>MOVED</c> during a failover) does not count:
    /// it is retried with back-off, on the next partition in turn, until <see cref="Timeout"/>.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; init; } = 3;
}
