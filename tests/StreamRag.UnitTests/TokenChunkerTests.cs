using System.Text;
using StreamRag.Embedding;

namespace StreamRag.UnitTests;

public sealed class TokenChunkerTests
{
    private static readonly string[] Vocabulary =
    [
        "redis", "stream", "consumer", "group", "vector", "index", "embedding", "chunk", "token", "retrieval",
        "honeybee", "volcano", "magma", "pollen", "incomprehensibilities", "antidisestablishmentarianism", "the", "of", "and", "Überraschung",
    ];

    private static TokenChunker Chunker(int size, int overlap, int maxInputTokens = 8191)
    {
        var (tokenizer, name) = TokenChunker.CreateTokenizer("cl100k_base", null);
        return new TokenChunker(tokenizer, size, overlap, maxInputTokens, name);
    }

    private static string Text(int words, int seed = 7)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            text.Append(Vocabulary[random.Next(Vocabulary.Length)]).Append(i % 17 == 16 ? ".\n" : " ");
        }

        return text.ToString();
    }

    [Fact]
    public void Split_ShortText_IsOneTrimmedChunk()
    {
        var chunk = Assert.Single(Chunker(50, 10).Split("  a short text  "));

        Assert.Equal(new TextChunk(0, "a short text"), chunk);
    }

    [Fact]
    public void Split_LongText_EveryChunkFitsTheModelLimit()
    {
        // Size above the model's limit: the limit wins.
        var chunker = Chunker(size: 500, overlap: 20, maxInputTokens: 64);

        var chunks = chunker.Split(Text(3000));

        Assert.True(chunks.Count > 10);
        Assert.All(chunks, c => Assert.InRange(chunker.CountTokens(c.Text), 1, 64));
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        Assert.Equal("tokens:cl100k_base:64/20", chunker.Fingerprint);
    }

    [Fact]
    public void Split_NoWhitespaceAtAll_StillFitsAndCoversTheText()
    {
        var chunker = Chunker(size: 40, overlap: 0, maxInputTokens: 40);
        var blob = string.Concat(Enumerable.Range(0, 400).Select(i => Convert.ToBase64String(BitConverter.GetBytes(i * 7919))));

        var chunks = chunker.Split(blob);

        Assert.All(chunks, c => Assert.InRange(chunker.CountTokens(c.Text), 1, 40));
        Assert.Equal(blob, string.Concat(chunks.Select(c => c.Text)));
    }

    [Fact]
    public void Split_ConsecutiveChunksShareTheirBoundaryWords()
    {
        var chunker = Chunker(size: 60, overlap: 15);

        var chunks = chunker.Split(Text(1000));

        Assert.True(chunks.Count > 5);
        for (var i = 0; i + 1 < chunks.Count; i++)
        {
            var previous = Words(chunks[i].Text);
            var next = Words(chunks[i + 1].Text);

            // The next chunk starts inside the previous one's tail: its first words end the previous chunk.
            var head = string.Join(' ', next[..3]);
            var tail = string.Join(' ', previous[(previous.Length / 2)..]);
            Assert.Contains(head, tail, StringComparison.Ordinal);
        }
    }

    private static string[] Words(string text) => text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Split_CutsOnWordBoundaries_SoEveryWordSurvivesWholeInSomeChunk()
    {
        var text = Text(800);
        var chunks = Chunker(size: 50, overlap: 10).Split(text);

        var words = chunks.SelectMany(c => c.Text.Split([' ', '\n', '.'], StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        Assert.All(text.Split([' ', '\n', '.'], StringSplitOptions.RemoveEmptyEntries), w => Assert.Contains(w, words));
        Assert.All(words, w => Assert.Contains(w, Vocabulary));
    }

    [Fact]
    public void Split_SameText_GivesSameChunks()
    {
        var text = Text(2000, seed: 11);

        Assert.Equal(Chunker(80, 16).Split(text), Chunker(80, 16).Split(text));
    }

    [Fact]
    public void Split_EmojiAndAccents_NoChunkHoldsABrokenCharacter()
    {
        var text = string.Concat(Enumerable.Repeat("Bienenstöcke 🐝🍯 summen laut; 火山が噴火した 🌋. ", 200));
        var chunker = Chunker(size: 30, overlap: 5, maxInputTokens: 30);

        var chunks = chunker.Split(text);

        Assert.True(chunks.Count > 5);
        Assert.All(chunks, c =>
        {
            Assert.InRange(chunker.CountTokens(c.Text), 1, 30);
            for (var i = 0; i < c.Text.Length; i++)
            {
                Assert.False(char.IsLowSurrogate(c.Text[i]) && (i == 0 || !char.IsHighSurrogate(c.Text[i - 1])), "a lone low surrogate");
                Assert.False(char.IsHighSurrogate(c.Text[i]) && (i + 1 == c.Text.Length || !char.IsLowSurrogate(c.Text[i + 1])), "a lone high surrogate");
            }
        });
    }

    [Theory]
    [InlineData("auto", "text-embedding-3-small", "model=text-embedding-3-small")]
    [InlineData("auto", "nomic-embed-text", "cl100k_base")]
    [InlineData("auto", null, "cl100k_base")]
    [InlineData("o200k_base", "anything", "o200k_base")]
    public void CreateTokenizer_LoadsOfflineAndFallsBackForUnknownModels(string setting, string? model, string expected)
    {
        var (tokenizer, name) = TokenChunker.CreateTokenizer(setting, model);

        Assert.Equal(expected, name);
        Assert.InRange(tokenizer.CountTokens("Honeybees live in a hive ruled by a queen."), 5, 20);
    }

    [Fact]
    public void CreateChunker_FollowsTheProvider()
    {
        var chunking = new ChunkingOptions { Size = 100, Overlap = 10 };

        Assert.IsType<TextChunker>(EmbeddingProviders.CreateChunker(new EmbeddingOptions { Provider = "hashing" }, chunking));
        var tokens = Assert.IsType<TokenChunker>(EmbeddingProviders.CreateChunker(
            new EmbeddingOptions { Provider = "openai", Model = "text-embedding-3-small", MaxInputTokens = 512 }, chunking));
        Assert.Equal("tokens:model=text-embedding-3-small:100/10", tokens.Fingerprint);
    }
}
