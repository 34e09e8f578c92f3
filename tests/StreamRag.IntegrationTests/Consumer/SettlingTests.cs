using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests.Consumer;

/// <summary>
/// What becomes of entries whose handler fails (issue 12): transient failures hold the batch and are
/// not counted; any other exception counts an attempt of every entry; after MaxAttempts the batch is
/// split until the entry at fault is alone and dead-lettered; the rest is acknowledged.
/// </summary>
public sealed class SettlingTests(RedisServerFixture redis)
{
    private static string Reason(StreamEntry dead) => (string)dead[DeadLetterFields.Reason]!;

    [Fact]
    public async Task OneEntryThrows_AfterMaxAttempts_TheBatchIsSplit_OnlyThatEntryIsDeadLettered_TheRestAcked()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(8);
        var poison = ids[5];
        var handler = ScriptedHandler.AckUnless((batch, _) =>
        {
            if (batch.Any(e => e.Id == poison))
            {
                throw new ArgumentOutOfRangeException("value", "the added or subtracted value results in an un-representable DateTime");
            }
        });

        h.Start(handler);
        await h.AdvanceUntilAsync(async () => await h.DrainedAsync() && (await h.DeadAsync()).Length == 1, "every entry is settled");

        var dead = Assert.Single(await h.DeadAsync());
        Assert.Equal(poison, (string)dead[DeadLetterFields.Id]!);
        Assert.StartsWith("internal_error: failed 6 attempts, the last one alone; last error: System.ArgumentOutOfRangeException: the added or subtracted value", Reason(dead), StringComparison.Ordinal);
        Assert.Equal(6, (long)dead[DeadLetterFields.Deliveries]);
        // Three attempts of the whole batch, then halves until the poison entry is alone.
        Assert.Equal([8, 8, 8, 4, 4, 2, 1, 1, 2], handler.Calls.Select(c => c.Length));
        Assert.Equal(ids.Where(id => id != poison).Order(StringComparer.Ordinal), handler.Calls.Where(c => !c.Contains(poison)).SelectMany(c => c).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task HandlerThatAlwaysThrows_DeadLettersEveryEntryWithTheError_AndStops()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(4);
        var handler = ScriptedHandler.AckUnless((_, _) => throw new InvalidOperationException("always broken"));

        h.Start(handler);
        await h.AdvanceUntilAsync(async () => (await h.DeadAsync()).Length == 4 && await h.DrainedAsync(), "every entry is dead-lettered");
        var calls = handler.Count;
        var dead = await h.DeadAsync();

        // Nothing is left to retry: more time brings no more calls for them. A later entry, handled after
        // every back-off has passed, shows the runner went on looping meanwhile.
        for (var i = 0; i < 5; i++)
        {
            h.Clock.Advance(h.Options.MaxBackoff);
        }

        var later = (await h.AddAsync(1))[0];
        await h.AdvanceUntilAsync(() => Task.FromResult(handler.Calls.Any(c => c.Contains(later))), "the later entry is handled");

        Assert.Equal(ids, dead.Select(d => (string)d[DeadLetterFields.Id]!).Order(StringComparer.Ordinal));
        Assert.All(dead, d => Assert.Contains("System.InvalidOperationException: always broken", Reason(d), StringComparison.Ordinal));
        Assert.Equal([4, 4, 4, 2, 1, 1, 2, 1, 1], handler.Calls.Take(calls).Select(c => c.Length));
        Assert.All(handler.Calls.Skip(calls), c => Assert.Equal([later], c));
    }

#pragma warning disable CS0618 // the plain constructor is what a server reply produces
    [Fact]
    public async Task TransientFailures_HoldTheBatch_AndAreNotCountedAsAttempts()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(4);
        Exception[] outages =
        [
            new RedisConnectionException(ConnectionFailureType.SocketFailure, "Redis went away"),
            new RedisServerException("LOADING Redis is loading the dataset in memory"),
            new RedisServerException("BUSY Redis is busy running a script"),
            new TimeoutException("timed out"),
            new ProviderDownException(),
            new AggregateException(new ProviderDownException(), new RedisServerException("TRYAGAIN")),
        ];
        var failing = 3 * outages.Length;
        var handler = ScriptedHandler.AckUnless((_, call) =>
        {
            if (call <= failing)
            {
                throw outages[(call - 1) % outages.Length];
            }
        });

        h.Start(handler, "a", new ProviderDownClassifier());
        await h.AdvanceUntilAsync(() => Task.FromResult(handler.Count > outages.Length), "the batch has been held through several outages");
        Assert.Equal(4, await h.PendingAsync());
        Assert.Empty(await h.DeadAsync());
        await h.AdvanceUntilAsync(h.DrainedAsync, "the batch is acknowledged once the outage is over");

        Assert.Empty(await h.DeadAsync());
        Assert.Equal(failing + 1, handler.Count);
        Assert.All(handler.Calls, c => Assert.Equal(ids, c));
    }
#pragma warning restore CS0618

    [Fact]
    public async Task OneFailureNotTransient_AmongOutages_StillCounts()
    {
        await using var h = new RunnerHarness(redis, o => o.MaxAttempts = 1);
        var ids = await h.AddAsync(2);
        var handler = ScriptedHandler.AckUnless((batch, _) =>
        {
            if (batch.Any(e => e.Id == ids[0]))
            {
                throw new AggregateException(new ProviderDownException(), new FormatException("bad input"));
            }
        });

        h.Start(handler, "a", new ProviderDownClassifier());
        await h.AdvanceUntilAsync(async () => (await h.DeadAsync()).Length == 1 && await h.DrainedAsync(), "the entry at fault is dead-lettered");

        Assert.Equal(ids[0], (string)(await h.DeadAsync())[0][DeadLetterFields.Id]!);
        Assert.Equal([2, 1, 1], handler.Calls.Select(c => c.Length));
    }

    [Fact]
    public async Task RetryOutcome_IsRetriedAlone_UpToMaxAttempts_ThenDeadLettered()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(3);
        var handler = new ScriptedHandler((batch, _) => batch.Select(e => e.Id == ids[1] ? EntryOutcome.Retry("write refused") : EntryOutcome.Ack).ToArray());

        h.Start(handler);
        await h.AdvanceUntilAsync(async () => (await h.DeadAsync()).Length == 1 && await h.DrainedAsync(), "the refused entry is dead-lettered");

        var dead = Assert.Single(await h.DeadAsync());
        Assert.Equal("failed 3 attempts; last error: write refused", Reason(dead));
        Assert.Equal([3, 1, 1], handler.Calls.Select(c => c.Length));
    }

    private sealed class ProviderDownException() : Exception("the embedding provider is unavailable");

    private sealed class ProviderDownClassifier : ITransientFailureClassifier
    {
        public bool IsTransient(Exception exception, out TimeSpan? retryAfter)
        {
            retryAfter = exception is ProviderDownException ? TimeSpan.FromMilliseconds(100) : null;
            return exception is ProviderDownException;
        }
    }
}
