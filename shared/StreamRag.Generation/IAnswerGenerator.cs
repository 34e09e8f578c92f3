namespace StreamRag.Generation;

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
