
namespace StreamRag.Contracts;

/// <summary>An answer and the passages it cites, as <c>doc#chunk</c>.</summary>
public sealed record QueryAnswer(string Text, IReadOnlyList<string> Citations);
