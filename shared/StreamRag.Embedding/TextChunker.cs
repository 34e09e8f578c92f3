namespace StreamRag.Embedding;

/// <summary>
/// Word-based chunker for the offline embedder: windows of <c>size</c> words that overlap by
/// <c>overlap</c> words, so a long document is searchable passage by passage. The same content
/// always yields the same chunks, so chunk ids are stable across re-deliveries.
/// </summary>
public sealed class TextChunker(int size, int overlap) : IChunker
{
    public string Fingerprint => $"words:{size}/{overlap}";

    public IReadOnlyList<TextChunk> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length <= size)
        {
            return [new TextChunk(0, text.Trim())];
        }

        var chunks = new List<TextChunk>();
        var step = Math.Max(1, size - overlap);
        for (var start = 0; start < words.Length; start += step)
        {
            var count = Math.Min(size, words.Length - start);
            chunks.Add(new TextChunk(chunks.Count, string.Join(' ', words, start, count)));
            if (start + count >= words.Length)
            {
                break;
            }
        }

        return chunks;
    }
}
