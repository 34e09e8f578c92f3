namespace StreamRag.Embedding;

/// <summary>A passage of a document: its number (stable for the same content) and text.</summary>
public sealed record TextChunk(int Index, string Text);

/// <summary>
/// Cuts a document into passages the embedding model takes whole. The same text always gives the
/// same chunks with the same indexes, so chunk ids (<c>doc#index</c>) are stable across re-deliveries
/// and replicas.
/// </summary>
public interface IChunker
{
    /// <summary>
    /// What determines the cut (unit, tokenizer, size, overlap), e.g. <c>tokens:cl100k_base:200/40</c>.
    /// Mix it into a content hash: when it changes, the same content must be re-chunked and re-embedded.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>The passages of <paramref name="text"/>, numbered from 0; at least one, even for empty text.</summary>
    IReadOnlyList<TextChunk> Split(string text);
}
