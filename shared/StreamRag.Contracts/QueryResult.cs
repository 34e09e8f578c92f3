
namespace StreamRag.Contracts;

/// <summary>One ranked passage.</summary>
/// <param name="Id">Document id.</param>
/// <param name="Chunk">Passage number within the document, from 0.</param>
/// <param name="Score">Similarity in [0, 1], higher is closer.</param>
public sealed record QueryResult(
    string Id,
    int Chunk,
    double Score,
    string Content,
    string Source,
    DateTimeOffset Timestamp,
    IReadOnlyList<string> Tags);
