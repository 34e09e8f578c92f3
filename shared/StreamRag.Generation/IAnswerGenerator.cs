namespace StreamRag.Generation;

/// <summary>A retrieved passage offered to the answer: its chunk id (<c>doc#chunk</c>) and text.</summary>
public sealed record AnswerPassage(string Id, string Text);

/// <summary>An answer and the chunk ids it rests on.</summary>
/// <param name="Citations">Ids of given passages the answer cites, in order of first mention; never an id that was not given.</param>
/// <param name="Generator"><c>extractive</c>, or <c>openai:MODEL</c> for a generated answer.</param>
/// <param name="FallbackReason">Why a configured chat model's answer was replaced by the extractive one; null otherwise.</param>
public sealed record GeneratedAnswer(string Text, IReadOnlyList<string> Citations, string Generator, string? FallbackReason = null);

/// <summary>Answers a question from retrieved passages, citing them by id.</summary>
public interface IAnswerGenerator
{
    /// <summary>
    /// The answer to <paramref name="question"/> from <paramref name="passages"/> (best first). Never
    /// fails because a model is unavailable: the extractive answer is the fallback. Throws only
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    Task<GeneratedAnswer> GenerateAsync(string question, IReadOnlyList<AnswerPassage> passages, CancellationToken cancellationToken);
}
