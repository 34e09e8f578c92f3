namespace StreamRag.Generation;

/// <summary>An answer and the chunk ids it rests on.</summary>
/// <param name="Citations">Ids of given passages the answer cites, in order of first mention; never an id that was not given.</param>
/// <param name="Generator"><c>extractive</c>, or <c>openai:MODEL</c> for a generated answer.</param>
/// <param name="FallbackReason">Why a configured chat model's answer was replaced by the extractive one; null otherwise.</param>
public sealed record GeneratedAnswer(string Text, IReadOnlyList<string> Citations, string Generator, string? FallbackReason = null);
