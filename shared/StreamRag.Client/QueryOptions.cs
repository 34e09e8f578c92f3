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

    /// <summary>How long to wait for the reply; also sent as the request's deadline.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
