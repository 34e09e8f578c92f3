using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamRag.Embedding;
using StreamRag.TestSupport;

namespace StreamRag.UnitTests;

/// <summary>The openai embedding provider against a local stub of <c>/v1/embeddings</c>: wire format, retries, breaker, the exception contract.</summary>
public sealed class OpenAIEmbeddingProviderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static EmbeddingOptions Options(string baseUrl, int dimensions, Action<ProviderResilienceOptions>? tune = null, string model = "stub-embed")
    {
        var options = new EmbeddingOptions
        {
            Provider = EmbeddingOptions.OpenAIProvider,
            Model = model,
            Dimensions = dimensions,
            BaseUrl = baseUrl,
            Resilience = new ProviderResilienceOptions
            {
                Timeout = TimeSpan.FromMinutes(5),
                MaxRetries = 3,
                RetryDelay = TimeSpan.FromMilliseconds(5),
                MaxRetryDelay = TimeSpan.FromMilliseconds(20),

                // High enough that the breaker stays out of tests about retries.
                BreakerMinimumThroughput = 1000,
            },
        };
        tune?.Invoke(options.Resilience);
        return options;
    }

    private static IEmbeddingGenerator<string, Embedding<float>> Generator(EmbeddingOptions options, TimeProvider? time = null) =>
        EmbeddingProviders.CreateGenerator(options, time ?? TimeProvider.System, NullLoggerFactory.Instance);

    /// <summary>
    /// Advances a fake clock one step at a time while the call waits on a timer (a back-off, a
    /// Retry-After, an attempt timeout), until it completes. Polls; asserts nothing about real time.
    /// </summary>
    /// <param name="startWhen">Holds the clock until this is true (or the call ends): a first request that
    /// a cold process is slow to send must not find the clock already moved on.</param>
    private static async Task<T> DriveAsync<T>(Task<T> call, FakeTimeProvider time, TimeSpan step, int maxSteps = 600, Func<bool>? startWhen = null)
    {
        var holdUntil = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (startWhen is not null && !startWhen() && !call.IsCompleted && DateTime.UtcNow < holdUntil)
        {
            await Task.WhenAny(call, Task.Delay(15, Ct));
        }

        for (var i = 0; i < maxSteps && !call.IsCompleted; i++)
        {
            await Task.WhenAny(call, Task.Delay(15, Ct));
            if (!call.IsCompleted)
            {
                time.Advance(step);
            }
        }

        return await call;
    }

    [Fact]
    public async Task Generate_Healthy_OneVectorPerInputOfTheConfiguredDimension()
    {
        await using var stub = new StubOpenAIServer(dimensions: 32);
        using var generator = Generator(Options(stub.BaseUrl, 32));

        var result = await generator.GenerateAsync(["honey bees", "lava flows", "queen bee"], cancellationToken: Ct);

        Assert.Equal(3, result.Count);
        Assert.All(result, e => Assert.Equal(32, e.Vector.Length));
        Assert.Equal(new HashingEmbeddingGenerator(32).Embed("lava flows"), result[1].Vector.ToArray());
        var request = Assert.Single(stub.EmbeddingRequests);
        Assert.Equal(3, request.BatchSize);
        Assert.Equal("stub-embed", request.Model);
        Assert.Null(request.Dimensions);
        Assert.Equal($"Bearer {ProviderEndpoint.PlaceholderApiKey}", request.Authorization);
        Assert.Equal("stub-embed", generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId);
    }

    [Fact]
    public async Task Generate_TextEmbedding3Model_AsksForTheConfiguredDimensions()
    {
        await using var stub = new StubOpenAIServer(dimensions: 64);
        var options = Options(stub.BaseUrl + "/", 64, model: "text-embedding-3-small");
        options.ApiKey = "sk-test";
        using var generator = Generator(options);

        await generator.GenerateAsync(["one"], cancellationToken: Ct);

        var request = Assert.Single(stub.EmbeddingRequests);
        Assert.Equal(64, request.Dimensions);
        Assert.Equal("Bearer sk-test", request.Authorization);
        Assert.Equal("/v1/embeddings", request.Path);
    }

    [Fact]
    public async Task Generate_EmptyInput_SendsNothing()
    {
        await using var stub = new StubOpenAIServer();
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions));

        Assert.Empty(await generator.GenerateAsync([], cancellationToken: Ct));
        Assert.Empty(stub.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Generate_RateLimitedWithRetryAfter_WaitsThatLongThenSucceeds(bool asHttpDate)
    {
        var time = new FakeTimeProvider();
        await using var stub = new StubOpenAIServer(dimensions: 16, time);
        var until = time.GetUtcNow().AddSeconds(7);
        stub.EnqueueEmbeddingFault(StubFault.RateLimited(asHttpDate ? until.ToString("R", CultureInfo.InvariantCulture) : "7"));
        using var generator = Generator(Options(stub.BaseUrl, 16), time);

        var result = await DriveAsync(generator.GenerateAsync(["a", "b"], cancellationToken: Ct), time, TimeSpan.FromSeconds(1));

        Assert.Equal(2, result.Count);
        var requests = stub.EmbeddingRequests;
        Assert.Equal(2, requests.Count);

        // The back-off alone would be milliseconds; only the Retry-After explains the wait (fake clock).
        // A date names a moment; seconds count from the 429.
        if (asHttpDate)
        {
            Assert.True(requests[1].At >= until, $"retried at {requests[1].At:O}, asked to wait until {until:O}");
        }
        else
        {
            Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(7), $"retried after {requests[1].At - requests[0].At}");
        }
    }

    [Fact]
    public async Task Generate_RetryAfterLongerThanAllowed_FailsAtOnceAsUnavailableWithTheHint()
    {
        await using var stub = new StubOpenAIServer();
        stub.EnqueueEmbeddingFault(StubFault.RateLimited("600"));
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions, r => r.MaxRetryAfter = TimeSpan.FromSeconds(60)));

        var error = await Assert.ThrowsAsync<EmbeddingProviderUnavailableException>(() => generator.GenerateAsync(["a"], cancellationToken: Ct));

        Assert.Equal(TimeSpan.FromSeconds(600), error.RetryAfter);
        Assert.False(error.CircuitOpen);
        Assert.Single(stub.EmbeddingRequests);
    }

    [Fact]
    public async Task Generate_ServerErrorsThenHealthy_RetriesUntilSuccess()
    {
        await using var stub = new StubOpenAIServer();
        stub.EnqueueEmbeddingFault(StubFault.Error(500), StubFault.Error(503), StubFault.Error(408));
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions));

        var result = await generator.GenerateAsync(["a"], cancellationToken: Ct);

        Assert.Single(result);
        Assert.Equal(4, stub.EmbeddingRequests.Count);
    }

    [Fact]
    public async Task Generate_ServerErrorsBeyondRetries_Unavailable()
    {
        await using var stub = new StubOpenAIServer { EmbeddingMode = StubFault.Error(502) };
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions, r => r.MaxRetries = 2));

        var error = await Assert.ThrowsAsync<EmbeddingProviderUnavailableException>(() => generator.GenerateAsync(["a"], cancellationToken: Ct));

        Assert.Contains("502", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, stub.EmbeddingRequests.Count);
    }

    [Fact]
    public async Task Generate_ProviderDownThenUp_CircuitOpensFailsFastThenClosesAfterTheBreak()
    {
        var time = new FakeTimeProvider();
        await using var stub = new StubOpenAIServer(dimensions: 16, time) { EmbeddingMode = StubFault.Error(503) };
        using var generator = Generator(
            Options(stub.BaseUrl, 16, r =>
            {
                r.MaxRetries = 1;
                r.BreakerMinimumThroughput = 2;
                r.BreakerFailureRatio = 0.5;
                r.BreakerBreakDuration = TimeSpan.FromSeconds(30);
            }),
            time);

        // Down: two failed attempts (the first try and its retry) open the circuit.
        var down = await Assert.ThrowsAsync<EmbeddingProviderUnavailableException>(() => DriveAsync(generator.GenerateAsync(["a"], cancellationToken: Ct), time, TimeSpan.FromMilliseconds(10)));
        Assert.False(down.CircuitOpen);
        Assert.Equal(2, stub.EmbeddingRequests.Count);

        // Open: calls fail fast without reaching the provider, and say how long to wait.
        var open = await Assert.ThrowsAsync<EmbeddingProviderUnavailableException>(() => generator.GenerateAsync(["a"], cancellationToken: Ct));
        Assert.True(open.CircuitOpen);
        Assert.NotNull(open.RetryAfter);
        Assert.Equal(2, stub.EmbeddingRequests.Count);

        // Up again, and the break is over: the trial call goes through and closes the circuit.
        stub.EmbeddingMode = StubFault.None;
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Single(await generator.GenerateAsync(["a"], cancellationToken: Ct));
        Assert.Single(await generator.GenerateAsync(["b"], cancellationToken: Ct));
        Assert.Equal(4, stub.EmbeddingRequests.Count);
    }

    [Fact]
    public async Task Generate_BadRequest_RejectedWithoutRetry()
    {
        await using var stub = new StubOpenAIServer();
        stub.EnqueueEmbeddingFault(StubFault.Error(400));
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions));

        var error = await Assert.ThrowsAsync<EmbeddingRequestRejectedException>(() => generator.GenerateAsync(["a"], cancellationToken: Ct));

        Assert.Equal(400, error.StatusCode);
        Assert.Single(stub.EmbeddingRequests);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    public async Task Generate_KeyOrModelWrong_MisconfiguredWithoutRetry(int status)
    {
        await using var stub = new StubOpenAIServer();
        stub.EnqueueEmbeddingFault(StubFault.Error(status));
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions));

        var error = await Assert.ThrowsAsync<EmbeddingProviderMisconfiguredException>(() => generator.GenerateAsync(["a"], cancellationToken: Ct));

        Assert.Equal(status, error.StatusCode);
        Assert.Single(stub.EmbeddingRequests);
    }

    [Fact]
    public async Task Generate_MalformedJsonOnce_IsRetriedAsTransient()
    {
        await using var stub = new StubOpenAIServer();
        stub.EnqueueEmbeddingFault(StubFault.MalformedJson);
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions));

        Assert.Single(await generator.GenerateAsync(["a"], cancellationToken: Ct));
        Assert.Equal(2, stub.EmbeddingRequests.Count);
    }

    [Fact]
    public async Task Generate_MalformedJsonAlways_UnavailableNotRejected()
    {
        await using var stub = new StubOpenAIServer { EmbeddingMode = StubFault.MalformedJson };
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions, r => r.MaxRetries = 1));

        await Assert.ThrowsAsync<EmbeddingProviderUnavailableException>(() => generator.GenerateAsync(["a"], cancellationToken: Ct));
        Assert.Equal(2, stub.EmbeddingRequests.Count);
    }

    [Fact]
    public async Task Generate_WrongVectorLength_RefusedAsDimensionProblemWithoutRetry()
    {
        await using var stub = new StubOpenAIServer(dimensions: 16);
        stub.EnqueueEmbeddingFault(StubFault.WrongDimension(12));
        using var generator = Generator(Options(stub.BaseUrl, 16));

        var error = await Assert.ThrowsAsync<EmbeddingResponseInvalidException>(() => generator.GenerateAsync(["a", "b"], cancellationToken: Ct));

        Assert.Equal((EmbeddingResponseProblem.Dimension, 16, 12), (error.Problem, error.Expected, error.Actual));
        Assert.Contains("dimension 12", error.Message, StringComparison.Ordinal);
        Assert.Single(stub.EmbeddingRequests);
    }

    [Fact]
    public async Task Generate_WrongVectorCount_RefusedWithoutRetry()
    {
        await using var stub = new StubOpenAIServer();
        stub.EnqueueEmbeddingFault(StubFault.WrongCount);
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions));

        var error = await Assert.ThrowsAsync<EmbeddingResponseInvalidException>(() => generator.GenerateAsync(["a", "b", "c"], cancellationToken: Ct));

        Assert.Equal((EmbeddingResponseProblem.VectorCount, 3, 2), (error.Problem, error.Expected, error.Actual));
        Assert.Single(stub.EmbeddingRequests);
    }

    [Fact]
    public async Task Generate_AttemptHangs_TimesOutAndRetries()
    {
        var time = new FakeTimeProvider();
        await using var stub = new StubOpenAIServer(dimensions: 16, time);
        stub.EnqueueEmbeddingFault(StubFault.Hang);
        // A long timeout in fake seconds, so the clock driven past the hang cannot also time out the
        // healthy retry on a slow machine (it would take 60 driving steps while that request is in flight).
        using var generator = Generator(Options(stub.BaseUrl, 16, r => r.Timeout = TimeSpan.FromSeconds(60)), time);

        var result = await DriveAsync(generator.GenerateAsync(["a"], cancellationToken: Ct), time, TimeSpan.FromSeconds(1), startWhen: () => stub.EmbeddingRequests.Count > 0);

        Assert.Single(result);
        var requests = stub.EmbeddingRequests;
        Assert.True(requests.Count >= 2);
        // The clock moves in 1 s steps once the first request has arrived; it may be stamped one step late.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(59), $"retried after {requests[1].At - requests[0].At}");
    }

    [Fact]
    public async Task Generate_NothingListening_Unavailable()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var generator = Generator(Options($"http://127.0.0.1:{port}/v1", 16, r => r.MaxRetries = 1));

        var error = await Assert.ThrowsAsync<EmbeddingProviderUnavailableException>(() => generator.GenerateAsync(["a"], cancellationToken: Ct));

        Assert.Contains("network", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_CallerCancels_OperationCanceledNotWrapped()
    {
        await using var stub = new StubOpenAIServer { EmbeddingMode = StubFault.Hang };
        using var generator = Generator(Options(stub.BaseUrl, stub.Dimensions));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = generator.GenerateAsync(["a"], cancellationToken: cancel.Token);
        await TestWait.UntilAsync(() => stub.EmbeddingRequests.Count == 1, "the request reached the stub");
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.IsNotAssignableFrom<EmbeddingProviderException>(error);
    }
}
