using StreamRag.Embedding;
using StreamRag.Embedding.Local;

namespace StreamRag.UnitTests;

/// <summary>The local provider's chunker: model tokens, model window, original text.</summary>
public sealed class WordPieceChunkerTests
{
    private static readonly LocalModelSpec Spec = LocalModelSpec.ArcticEmbedXs;

    private static WordPieceChunker Chunker(int size = 200, int overlap = 40) => new(SharedLocalModels.Models.Tokenizer(Spec), Spec, size, overlap);

    private static readonly string Long = string.Join("\n", Enumerable.Range(0, 400).Select(i =>
        $"Sentence {i}: Honeybees in Übersee gather nectar, pollen & propolis; the queen lays {i * 7} eggs."));

    [Fact]
    public void ShortText_IsOneChunk_Trimmed()
    {
        var chunks = Chunker().Split("  Bees make Honey.\n");

        Assert.Equal([new TextChunk(0, "Bees make Honey.")], chunks);
        Assert.Equal([new TextChunk(0, "")], Chunker().Split(""));
    }

    [Fact]
    public void LongText_ChunksFitTheSizeAndTheWindow_AndAreSlicesOfTheOriginal()
    {
        var chunker = Chunker(size: 120, overlap: 20);

        var chunks = chunker.Split(Long);

        Assert.True(chunks.Count > 10);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        foreach (var chunk in chunks)
        {
            Assert.InRange(chunker.CountTokens(chunk.Text), 1, 120);
            Assert.Contains(chunk.Text, Long, StringComparison.Ordinal); // case, accents and line breaks kept
        }

        // In order, each starting inside the one before (the overlap) and after its start.
        var previous = Long.IndexOf(chunks[0].Text, StringComparison.Ordinal);
        Assert.Equal(0, previous);
        for (var i = 1; i < chunks.Count; i++)
        {
            var at = Long.IndexOf(chunks[i].Text, previous + 1, StringComparison.Ordinal);
            Assert.InRange(at, previous + 1, previous + chunks[i - 1].Text.Length - 1);
            previous = at;
        }

        Assert.StartsWith("Sentence 0:", chunks[0].Text, StringComparison.Ordinal);
        Assert.EndsWith("2793 eggs.", chunks[^1].Text, StringComparison.Ordinal);
        Assert.Equal(chunks, chunker.Split(Long));
    }

    [Fact]
    public void SizeAboveTheWindow_IsCappedAtTheWindow_AndAWordWithoutSpacesIsCut()
    {
        var chunker = Chunker(size: 4000, overlap: 100);
        // No whitespace, but a token per character: punctuation splits it (a plain run of letters
        // past 100 characters would be one [UNK], as in BERT itself).
        var blob = string.Join('.', Enumerable.Range(0, 1500).Select(i => (char)('a' + (i * 7 % 26))));

        var chunks = chunker.Split("intro " + blob + " outro");

        Assert.Equal("tokens:snowflake-arctic-embed-xs:510/100", chunker.Fingerprint);
        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.InRange(chunker.CountTokens(c.Text), 1, Spec.MaxTokens - LocalModelSpec.SpecialTokens));
        Assert.All(chunks, c => Assert.Contains(c.Text, "intro " + blob + " outro", StringComparison.Ordinal));
        Assert.StartsWith("intro", chunks[0].Text, StringComparison.Ordinal);
        Assert.EndsWith("outro", chunks[^1].Text, StringComparison.Ordinal);
    }
}
