namespace StreamRag.Generation;

/// <summary>The offline answer: the best passages themselves, each followed by its <c>[doc#chunk]</c>.</summary>
public sealed class ExtractiveAnswerGenerator(int maxPassages) : IAnswerGenerator
{
    public const string Name = "extractive";
    public const string NoMatch = "No indexed passage matches the question.";

    public Task<GeneratedAnswer> GenerateAsync(string question, IReadOnlyList<AnswerPassage> passages, CancellationToken cancellationToken) =>
        Task.FromResult(Answer(passages, null));

    /// <summary>The extractive answer, synchronously; <paramref name="fallbackReason"/> is recorded when it stands in for a model.</summary>
    public GeneratedAnswer Answer(IReadOnlyList<AnswerPassage> passages, string? fallbackReason)
    {
        ArgumentNullException.ThrowIfNull(passages);
        var top = passages.Take(maxPassages).ToArray();
        var text = top.Length == 0
            ? NoMatch
            : string.Join("\n\n", top.Select(p => $"{p.Text} [{p.Id}]"));
        return new GeneratedAnswer(text, top.Select(p => p.Id).ToArray(), Name, fallbackReason);
    }
}
