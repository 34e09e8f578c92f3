namespace StreamRag.Contracts;

/// <summary>Flat stream field names of a query request.</summary>
public static class QueryRequestFields
{
    public const string ContractVersion = "v";
    public const string RequestId = "id";
    public const string Query = "query";
    public const string K = "k";
    public const string Filters = "filters";
    public const string ReplyTo = "reply_to";
    public const string Deadline = "deadline";
    public const string Tenant = "tenant";
    public const string Mode = "mode";
    public const string Ef = "ef";

    /// <summary>A ready query vector: raw little-endian float32 bytes (4 × dimension bytes).</summary>
    public const string Vector = "vector";

    /// <summary>Optional W3C trace context (<see cref="Contracts.TraceParent"/>); an invalid one is ignored.</summary>
    public const string TraceParent = Contracts.TraceParent.Field;

    /// <summary>Optional signed tenant token (a JWT); checked when the fleet requires tokens (docs/security.md).</summary>
    public const string Token = "token";

    /// <summary>Mode <c>watch</c>: the least score a passage needs to notify (0 to 1, the reply's score scale).</summary>
    public const string Threshold = "threshold";

    /// <summary>Mode <c>watch</c>: seconds the watch lives.</summary>
    public const string WatchTtl = "ttl";

    /// <summary>Mode <c>watch</c>: the stream notifications are appended to.</summary>
    public const string NotifyTo = "notify_to";

    /// <summary>Mode <c>unwatch</c>: the watch to remove.</summary>
    public const string WatchId = "watch_id";

    internal static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        ContractVersion, RequestId, Query, K, Filters, ReplyTo, Deadline, Tenant, Mode, Ef, Vector, TraceParent, Token,
        Threshold, WatchTtl, NotifyTo, WatchId,
    };
}
