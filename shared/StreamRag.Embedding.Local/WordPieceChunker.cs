using Microsoft.ML.Tokenizers;

namespace StreamRag.Embedding.Local;

/// <summary>
/// Chunker of the <c>local</c> provider: windows of <c>size</c> tokens of the model's own WordPiece
/// tokenizer, overlapping by about <c>overlap</c> tokens, cut between words. Every chunk fits the
/// model's window with its <c>[CLS]</c> and <c>[SEP]</c>, so nothing is ever truncated at embedding.
/// Chunks are slices of the original text (case, accents and line breaks kept).
/// <para>
/// BERT tokenisation never joins two whitespace-separated words, so a chunk's tokens are the sum of
/// its words' tokens: each word is counted once, and each chunk is counted again whole before it is
/// kept. A word longer than a chunk (a long URL, a base64 blob) is cut into pieces that fit.
/// </para>
/// </summary>
public sealed class WordPieceChunker : IChunker
{
    private readonly BertTokenizer tokenizer;
    private readonly int window;
    private readonly int size;
    private readonly int overlap;

    /// <param name="size">Tokens per chunk; lowered to the model's window if larger.</param>
    /// <param name="overlap">Tokens shared by consecutive chunks; at most half a chunk.</param>
    public WordPieceChunker(BertTokenizer tokenizer, LocalModelSpec spec, int size, int overlap)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        this.tokenizer = tokenizer;
        window = spec.MaxTokens - LocalModelSpec.SpecialTokens;
        this.size = Math.Min(size, window);
        this.overlap = Math.Min(overlap, this.size / 2);
        Fingerprint = $"tokens:{spec.Name}:{this.size}/{this.overlap}";
    }

    public string Fingerprint { get; }

    /// <summary>Tokens of <paramref name="text"/> without <c>[CLS]</c> and <c>[SEP]</c>.</summary>
    public int CountTokens(string text) =>
        tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true).Count;

    public IReadOnlyList<TextChunk> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Words(text);
        if (words.Sum(w => w.Tokens) <= size)
        {
            return [new TextChunk(0, text.Trim())];
        }

        var chunks = new List<TextChunk>();
        for (var start = 0; ;)
        {
            var end = start;
            for (var tokens = 0; end < words.Count && tokens + words[end].Tokens <= size; end++)
            {
                tokens += words[end].Tokens;
            }

            end = Math.Max(end, start + 1);
            var piece = Slice(text, words, start, end);

            // The sum is exact for whitespace-separated words; the whole count settles any doubt.
            while (end - start > 1 && CountTokens(piece) > window)
            {
                end--;
                piece = Slice(text, words, start, end);
            }

            chunks.Add(new TextChunk(chunks.Count, piece));
            if (end >= words.Count)
            {
                return chunks;
            }

            var next = end;
            for (var shared = 0; next - 1 > start && shared + words[next - 1].Tokens <= overlap; next--)
            {
                shared += words[next - 1].Tokens;
            }

            start = next;
        }
    }

    private static string Slice(string text, List<Word> words, int start, int end) => text[words[start].Start..words[end - 1].End];

    /// <summary>The whitespace-separated words of the text with their token counts; words longer than a chunk cut to fit.</summary>
    private List<Word> Words(string text)
    {
        var words = new List<Word>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < text.Length;)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var word = text[start..i];
            if (!counts.TryGetValue(word, out var tokens))
            {
                tokens = CountTokens(word);
                counts[word] = tokens;
            }

            if (tokens <= size)
            {
                words.Add(new Word(start, i, tokens));
            }
            else
            {
                CutLongWord(text, start, i, words);
            }
        }

        return words;
    }

    /// <summary>Cuts one over-long word into the longest pieces that fit a chunk (found by bisection on characters).</summary>
    private void CutLongWord(string text, int start, int end, List<Word> words)
    {
        while (start < end)
        {
            int low = start + 1, high = end;
            while (low < high)
            {
                var mid = (low + high + 1) / 2;
                if (CountTokens(text[start..mid]) <= size)
                {
                    low = mid;
                }
                else
                {
                    high = mid - 1;
                }
            }

            // Never between the two halves of a surrogate pair.
            var cut = low < end && char.IsLowSurrogate(text[low]) && low - 1 > start ? low - 1 : low;
            words.Add(new Word(start, cut, CountTokens(text[start..cut])));
            start = cut;
        }
    }

    private readonly record struct Word(int Start, int End, int Tokens);
}
