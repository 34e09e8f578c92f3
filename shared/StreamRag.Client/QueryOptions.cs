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
    /// published while this client's subscription was moving to another node. Raise it for
    /// <c>mode</c> <c>answer</c> with a slow chat model, or every answer is generated twice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RepostAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Most postings Redis accepted, the first included (1: never post again). A posting Redis
    /// refused (connection lost, <c>READONLY</c> or <c>MOVED</c> during a failover) does not count:
    /// it is retried with back-off, on the next partition in turn, until <see cref="Timeout"/>.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; init; } = 3;
}
