using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamRag.Generation;
using StreamRag.TestSupport;

namespace StreamRag.UnitTests;

/// <summary>Answer mode: the extractive answer, citation parsing, and the chat provider against the stub's <c>/v1/chat/completions</c>.</summary>
public sealed class AnswerGeneratorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly AnswerPassage[] Passages =
    [
        new("bees#0", "Honeybees live in a hive ruled by a queen."),
        new("bees#1", "Workers gather pollen and nectar."),
        new("lava#0", "Volcanoes erupt when magma rises."),
        new("lava#1", "Ash clouds follow eruptions."),
    ];

    private static IAnswerGenerator Chat(StubOpenAIServer stub, Action<AnswerOptions>? tune = null, TimeProvider? time = null)
    {
        var options = new AnswerOptions { Provider = "openai", Model = "stub-chat", BaseUrl = stub.BaseUrl };
        options.Resilience.RetryDelay = TimeSpan.FromMilliseconds(5);
        options.Resilience.MaxRetryDelay = TimeSpan.FromMilliseconds(10);
        tune?.Invoke(options);
        return AnswerServiceCollectionExtensions.CreateGenerator(options, time ?? TimeProvider.System, NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task Extractive_TopPassagesEachFollowedByItsId()
    {
        var answer = await new ExtractiveAnswerGenerator(2).GenerateAsync("who rules the hive?", Passages, Ct);

        Assert.Equal("Honeybees live in a hive ruled by a queen. [bees#0]\n\nWorkers gather pollen and nectar. [bees#1]", answer.Text);
        Assert.Equal(["bees#0", "bees#1"], answer.Citations);
        Assert.Equal(("extractive", (string?)null), (answer.Generator, answer.FallbackReason));
    }

    [Fact]
    public async Task Extractive_NoPassages_SaysSoAndCitesNothing()
    {
        var answer = await new ExtractiveAnswerGenerator(3).GenerateAsync("anything?", [], Ct);

        Assert.Equal(ExtractiveAnswerGenerator.NoMatch, answer.Text);
        Assert.Empty(answer.Citations);
    }

    [Fact]
    public void Citations_OnlyGivenIds_InOrderOfFirstMention()
    {
        var cited = Citations.Parse("Queens rule [bees#0]; ash [lava#1, bees#0] and [made#9] or [[lava#0]] [bees#7].", Passages.Select(p => p.Id));

        Assert.Equal(["bees#0", "lava#1", "lava#0"], cited);
    }

    [Fact]
    public void Citations_IdWithCommaOrSpace_MatchedWhole()
    {
        Assert.Equal(["report, 2024 final#3"], Citations.Parse("See [report, 2024 final#3].", ["report, 2024 final#3"]));
    }

    [Fact]
    public async Task Chat_GroundedPromptAndOnlyGivenIdsCited()
    {
        await using var stub = new StubOpenAIServer { ChatResponder = (_, _) => "The queen rules the hive [bees#0], says [wiki#4], and workers forage [bees#1]." };
        var generator = Chat(stub, o => o.MaxPassages = 2);

        var answer = await generator.GenerateAsync("Who rules the hive?", Passages, Ct);

        Assert.Equal("The queen rules the hive [bees#0], says [wiki#4], and workers forage [bees#1].", answer.Text);
        Assert.Equal(["bees#0", "bees#1"], answer.Citations);
        Assert.Equal(("openai:stub-chat", (string?)null), (answer.Generator, answer.FallbackReason));

        var request = Assert.Single(stub.ChatRequests);
        Assert.Equal("stub-chat", request.Model);
        Assert.Contains("[bees#0] Honeybees live in a hive ruled by a queen.", request.Body, StringComparison.Ordinal);
        Assert.Contains("[bees#1] Workers gather pollen and nectar.", request.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("lava#0", request.Body, StringComparison.Ordinal);
        Assert.Contains("Cite every passage you use", request.Body, StringComparison.Ordinal);
        Assert.Contains("Question: Who rules the hive?", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_ProviderDown_FallsBackToTheExtractiveAnswer()
    {
        await using var stub = new StubOpenAIServer { ChatMode = StubFault.Error(503) };
        var generator = Chat(stub);

        var answer = await generator.GenerateAsync("Who rules the hive?", Passages, Ct);

        Assert.Equal("extractive", answer.Generator);
        Assert.Contains("503", answer.FallbackReason, StringComparison.Ordinal);
        Assert.Equal(["bees#0", "bees#1", "lava#0"], answer.Citations);
        Assert.Equal(2, stub.ChatRequests.Count);
    }

    [Fact]
    public async Task Chat_RateLimitedOnce_RetriedThenGenerated()
    {
        var time = new FakeTimeProvider();
        await using var stub = new StubOpenAIServer(time: time);
        stub.EnqueueChatFault(StubFault.RateLimited("2"));
        // Attempts get a long timeout: the driven fake clock must not time out the healthy retry.
        var generator = Chat(stub, o => o.Resilience.Timeout = TimeSpan.FromMinutes(5), time);

        var call = generator.GenerateAsync("Who rules the hive?", Passages, Ct);
        while (!call.IsCompleted)
        {
            await Task.WhenAny(call, Task.Delay(15, Ct));
            time.Advance(TimeSpan.FromMilliseconds(500));
        }

        var answer = await call;
        Assert.Equal("openai:stub-chat", answer.Generator);
        Assert.Equal(["bees#0"], answer.Citations);
        var requests = stub.ChatRequests;
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Chat_AnswerCitesNothingGiven_FallsBackWhenCitationsAreRequired()
    {
        await using var stub = new StubOpenAIServer { ChatResponder = (_, _) => "The queen, as everyone knows [encyclopedia#1]." };

        var strict = await Chat(stub).GenerateAsync("Who rules the hive?", Passages, Ct);
        var lenient = await Chat(stub, o => o.RequireCitations = false).GenerateAsync("Who rules the hive?", Passages, Ct);

        Assert.Equal("extractive", strict.Generator);
        Assert.NotNull(strict.FallbackReason);
        Assert.Equal("openai:stub-chat", lenient.Generator);
        Assert.Empty(lenient.Citations);
    }

    [Fact]
    public async Task Chat_MalformedReply_FallsBack()
    {
        await using var stub = new StubOpenAIServer { ChatMode = StubFault.MalformedJson };

        var answer = await Chat(stub).GenerateAsync("Who rules the hive?", Passages, Ct);

        Assert.Equal("extractive", answer.Generator);
        Assert.NotNull(answer.FallbackReason);
    }

    [Fact]
    public async Task Chat_NoPassages_DoesNotAskTheModel()
    {
        await using var stub = new StubOpenAIServer();

        var answer = await Chat(stub).GenerateAsync("Who rules the hive?", [], Ct);

        Assert.Equal(ExtractiveAnswerGenerator.NoMatch, answer.Text);
        Assert.Empty(stub.ChatRequests);
    }

    [Fact]
    public async Task Chat_CallerCancels_Throws()
    {
        await using var stub = new StubOpenAIServer { ChatMode = StubFault.Hang };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = Chat(stub).GenerateAsync("Who rules the hive?", Passages, cancel.Token);
        await TestWait.UntilAsync(() => stub.ChatRequests.Count == 1, "the request reached the stub");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }
}
