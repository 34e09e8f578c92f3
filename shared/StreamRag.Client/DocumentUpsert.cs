using StreamRag.Contracts;

namespace StreamRag.Client;

/// <summary>A document as an upstream system sends it.</summary>
public sealed record DocumentUpsert(string Id, long Version, string Content)
{
    public string Source { get; init; } = "unknown";

    public IReadOnlyList<string> Tags { get; init; } = [];

    public DateTimeOffset? Timestamp { get; init; }

    public TimeSpan? Ttl { get; init; }

    public string Tenant { get; init; } = DocumentEventParser.DefaultTenant;

    /// <summary>A signed tenant token granting <see cref="Tenant"/> <c>write</c>; the client's <see cref="StreamRagClient.Token"/> when null.</summary>
    public string? Token { get; init; }
}
