using StreamRag.Embedding;

namespace StreamRag.UnitTests;

public sealed class TextChunkerTests
{
    [Fact]
    public void Split_ShortText_IsOneChunk()
    {
        var chunks = new TextChunker(10, 2).Split("  a short text  ");

        var chunk = Assert.Single(chunks);
        Assert.Equal(0, chunk.Index);
        Assert.Equal("a short text", chunk.Text);
    }

    [Fact]
    public void Split_LongText_OverlapsAndCoversEveryWord()
    {
        var words = Enumerable.Range(0, 25).Select(i => $"w{i}").ToArray();

        var chunks = new TextChunker(10, 3).Split(string.Join(' ', words));

        Assert.Equal([0, 1, 2, 3], chunks.Select(c => c.Index));
        Assert.Equal(string.Join(' ', words[..10]), chunks[0].Text);
        Assert.StartsWith("w7 w8 w9", chunks[1].Text, StringComparison.Ordinal);
        Assert.EndsWith("w24", chunks[^1].Text, StringComparison.Ordinal);
        Assert.All(chunks, c => Assert.True(c.Text.Split(' ').Length <= 10));
    }

    [Fact]
    public void Split_SameText_GivesSameChunks()
    {
        var text = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"w{i}"));

        Assert.Equal(new TextChunker(20, 5).Split(text), new TextChunker(20, 5).Split(text));
    }
}
