using StreamRag.Client;
using StreamRag.Contracts;

namespace StreamRag.IntegrationTests.Client;

/// <summary>When the client posts a request again by default: soon for a search, late for an answer a chat model may take seconds over.</summary>
public sealed class QueryOptionsTests
{
    [Fact]
    public void RepostAfter_DefaultsTo2sForSearch_HalfTheTimeoutForAnswer_AndIsKeptWhenSet()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), new QueryOptions().EffectiveRepostAfter);
        Assert.Equal(TimeSpan.FromSeconds(2), new QueryOptions { Timeout = TimeSpan.FromSeconds(30) }.EffectiveRepostAfter);
        Assert.Equal(TimeSpan.FromSeconds(15), new QueryOptions { Mode = QueryMode.Answer, Timeout = TimeSpan.FromSeconds(30) }.EffectiveRepostAfter);
        // Never sooner than a search's.
        Assert.Equal(TimeSpan.FromSeconds(2), new QueryOptions { Mode = QueryMode.Answer, Timeout = TimeSpan.FromSeconds(3) }.EffectiveRepostAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(300), new QueryOptions { Mode = QueryMode.Answer, RepostAfter = TimeSpan.FromMilliseconds(300) }.EffectiveRepostAfter);
    }
}
