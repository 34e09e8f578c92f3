using Microsoft.ML.Tokenizers;

namespace StreamRag.Embedding;

/// <summary>
/// Token-aware chunker for remote models: windows of <c>size</c> model tokens overlapping by
/// <c>overlap</c> tokens, cut on word boundaries where one is near, and checked again after cutting
/// so that no chunk exceeds the model's input limit. Counting uses the model's own tokenizer
/// (tiktoken data ships inside the Microsoft.ML.Tokenizers.Data packages: nothing is downloaded).
/// </summary>
public sealed class TokenChunker : IChunker
{
    private readonly Tokenizer tokenizer;
    private readonly int size;
    private readonly int overlap;
    private readonly int maxInputTokens;

    /// <param name="size">Tokens per chunk; lowered to <paramref name="maxInputTokens"/> if larger.</param>
    /// <param name="overlap">Tokens shared by consecutive chunks; at most half a chunk.</param>
    /// <param name="maxInputTokens">Hard limit of the model: no chunk is longer.</param>
    /// <param name="tokenizerName">Recorded in <see cref="Fingerprint"/>.</param>
    public TokenChunker(Tokenizer tokenizer, int size, int overlap, int maxInputTokens, string tokenizerName)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInputTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        this.tokenizer = tokenizer;
        this.maxInputTokens = maxInputTokens;
        this.size = Math.Min(size, maxInputTokens);

        // A size lowered to the model's limit must still move forward by at least half a chunk.
        this.overlap = Math.Min(overlap, this.size / 2);
        Fingerprint = $"tokens:{tokenizerName}:{this.size}/{this.overlap}";
    }

    public string Fingerprint { get; }

    /// <summary>
    /// The tokenizer of an OpenAI model (<c>auto</c>; cl100k_base for a model it does not know, a
    /// fair estimate for most others) or a named tiktoken encoding.
    /// </summary>
    /// <returns>The tokenizer and the name of its encoding.</returns>
    public static (Tokenizer Tokenizer, string Name) CreateTokenizer(string setting, string? model)
    {
        ArgumentNullException.ThrowIfNull(setting);
        switch (setting)
        {
            case "cl100k_base":
            case "o200k_base":
                return (TiktokenTokenizer.CreateForEncoding(setting), setting);
            case "auto" when !string.IsNullOrWhiteSpace(model):
                try
                {
                    var byModel = TiktokenTokenizer.CreateForModel(model);
                    return (byModel, $"model={model}");
                }
                catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
                {
                    return (TiktokenTokenizer.CreateForEncoding("cl100k_base"), "cl100k_base");
                }

            default:
                return (TiktokenTokenizer.CreateForEncoding("cl100k_base"), "cl100k_base");
        }
    }

    /// <summary>Tokens of <paramref name="text"/> as this chunker counts them.</summary>
    public int CountTokens(string text) => tokenizer.CountTokens(text);

    public IReadOnlyList<TextChunk> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = tokenizer.EncodeToTokens(text, out var normalized);
        var source = normalized ?? text;
        if (tokens.Count <= size)
        {
            return [new TextChunk(0, source.Trim())];
        }

        var chunks = new List<TextChunk>();
        var start = 0;
        while (true)
        {
            var end = Math.Min(start + size, tokens.Count);
            if (end < tokens.Count)
            {
                end = BackToWordStart(tokens, source, start, end);
            }

            var piece = Slice(tokens, source, start, end);

            // A slice tokenized on its own can count a token or two more than in context (its first
            // word loses the space before it); shrink until the model will take it.
            while (end - start > 1 && tokenizer.CountTokens(piece) > maxInputTokens)
            {
                end--;
                piece = Slice(tokens, source, start, end);
            }

            if (piece.Length > 0)
            {
                chunks.Add(new TextChunk(chunks.Count, piece));
            }

            if (end >= tokens.Count)
            {
                return chunks;
            }

            var next = Math.Max(end - overlap, start + 1);
            start = ForwardToWordStart(tokens, source, next, end);
        }
    }

    private static string Slice(IReadOnlyList<EncodedToken> tokens, string source, int start, int end)
    {
        // Cut from this token's start to the next one's, so consecutive chunks together cover the text.
        var from = tokens[start].Offset.Start.GetOffset(source.Length);
        var to = end < tokens.Count ? tokens[end].Offset.Start.GetOffset(source.Length) : source.Length;
        from = Math.Clamp(from, 0, source.Length);
        to = Math.Clamp(to, from, source.Length);
        if (to < source.Length && to > from && char.IsLowSurrogate(source[to]))
        {
            to--;
        }

        return source[from..to].Trim();
    }

    /// <summary>True when the token begins a word: tiktoken attaches the space before a word to the word's first token.</summary>
    private static bool StartsWord(IReadOnlyList<EncodedToken> tokens, string source, int index)
    {
        var at = tokens[index].Offset.Start.GetOffset(source.Length);
        return at >= source.Length || at == 0 || char.IsWhiteSpace(source[at]) || char.IsWhiteSpace(source[at - 1]);
    }

    /// <summary>Moves a chunk's end back to a word start, giving up at most a quarter of the chunk.</summary>
    private int BackToWordStart(IReadOnlyList<EncodedToken> tokens, string source, int start, int end)
    {
        var floor = Math.Max(start + 1, end - (size / 4));
        for (var i = end; i >= floor; i--)
        {
            if (StartsWord(tokens, source, i))
            {
                return i;
            }
        }

        return end;
    }

    /// <summary>Moves the next chunk's start forward to a word start, never reaching the previous end.</summary>
    private static int ForwardToWordStart(IReadOnlyList<EncodedToken> tokens, string source, int next, int end)
    {
        for (var i = next; i < end; i++)
        {
            if (StartsWord(tokens, source, i))
            {
                return i;
            }
        }

        return next;
    }
}
