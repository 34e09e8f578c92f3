using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests.Consumer;

/// <summary>
/// Entries that outlive their consumer (issue 12): reclaimed entries bring their earlier deliveries
/// as attempts, MaxDeliveries dead-letters the ones that crash their workers, shutdown drains then
/// releases, and keep-alive stops a live consumer's slow work from being taken.
/// </summary>
public sealed class RecoveryTests(RedisServerFixture redis)
{
    [Fact]
    public async Task ReclaimedEntry_DeliveredMoreThanMaxDeliveries_IsDeadLetteredWithoutBeingTried()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(3);
        await h.AbandonAsync(ids, TimeSpan.FromMinutes(5), deliveries: 1);
        await h.Db.ExecuteAsync("XCLAIM", h.Stream, RunnerHarness.Group, "ghost", 0, ids[1], "IDLE", 300_000, "RETRYCOUNT", h.Options.MaxDeliveries, "JUSTID");
        var handler = ScriptedHandler.AckUnless((_, _) => { });

        h.Start(handler, "survivor");
        await h.AdvanceUntilAsync(async () => await h.DrainedAsync() && (await h.DeadAsync()).Length == 1, "the abandoned entries are settled");

        var dead = Assert.Single(await h.DeadAsync());
        Assert.Equal(ids[1], (string)dead[DeadLetterFields.Id]!);
        Assert.Equal($"internal_error: delivered {h.Options.MaxDeliveries + 1} times without completing (a worker crashed or hung on it)", (string)dead[DeadLetterFields.Reason]!);
        Assert.Equal(h.Options.MaxDeliveries + 1, (long)dead[DeadLetterFields.Deliveries]);
        Assert.DoesNotContain(handler.Calls, c => c.Contains(ids[1]));
        Assert.Equal([ids[0], ids[2]], handler.Calls.SelectMany(c => c));
    }

    /// <summary>
    /// The poison batch of issue 12 survived two embedder restarts, each starting its count from
    /// zero. Earlier deliveries now count: entries delivered MaxAttempts times before are split at
    /// their first failure here.
    /// </summary>
    [Fact]
    public async Task ReclaimedEntries_CountTheirEarlierDeliveriesAsAttempts()
    {
        await using var h = new RunnerHarness(redis, o => o.MaxAttempts = 3);
        var ids = await h.AddAsync(4);
        await h.AbandonAsync(ids, TimeSpan.FromMinutes(5), deliveries: 2);
        var handler = ScriptedHandler.AckUnless((batch, _) =>
        {
            if (batch.Any(e => e.Id == ids[2]))
            {
                throw new FormatException("poison");
            }
        });

        h.Start(handler, "after-restart");
        await h.AdvanceUntilAsync(async () => await h.DrainedAsync() && (await h.DeadAsync()).Length == 1, "the reclaimed batch is settled");

        var dead = Assert.Single(await h.DeadAsync());
        Assert.Equal(ids[2], (string)dead[DeadLetterFields.Id]!);
        Assert.StartsWith("internal_error: failed 5 attempts, the last one alone; last error: System.FormatException: poison", (string)dead[DeadLetterFields.Reason]!, StringComparison.Ordinal);
        // Reclaimed on their third delivery: two attempts already counted, so the first failure splits.
        Assert.Equal([4, 2, 2, 1, 1], handler.Calls.Select(c => c.Length));
    }

    [Fact]
    public async Task Shutdown_WorkThatFinishesWithinDrainTimeout_IsAcknowledged()
    {
        await using var h = new RunnerHarness(redis);
        await h.AddAsync(3);
        var handler = new SlowHandler();
        var run = h.Start(handler);
        await TestScope.EventuallyAsync(() => Task.FromResult(handler.Calls == 1), "the batch is being processed");

        var stopping = h.StopAsync(run);
        handler.Release();
        await stopping;

        Assert.False(handler.Cancelled);
        Assert.True(await h.DrainedAsync());
    }

    [Fact]
    public async Task Shutdown_AfterDrainTimeout_ReleasesUnfinishedEntries_AndAnotherConsumerTakesThemAtOnce()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(3);
        var slow = new SlowHandler();
        var run = h.Start(slow, "leaving");
        await TestScope.EventuallyAsync(() => Task.FromResult(slow.Calls == 1), "the batch is being processed");

        await h.StopAsync(run);

        Assert.True(slow.Cancelled, "the handler is cancelled once DrainTimeout has passed");
        var released = await h.PendingDetailsAsync();
        Assert.Equal(ids, released.Select(p => (string)p.MessageId!));
        Assert.All(released, p => Assert.Equal(("leaving", 1), (p.ConsumerName.ToString(), p.DeliveryCount)));
        Assert.All(released, p => Assert.True(p.IdleTimeInMilliseconds >= h.Options.ClaimIdle.TotalMilliseconds, $"idle {p.IdleTimeInMilliseconds} ms"));

        var next = ScriptedHandler.AckUnless((_, _) => { });
        h.Start(next, "staying");
        await h.AdvanceUntilAsync(h.DrainedAsync, "the other consumer reclaims and finishes them");
        Assert.Equal(ids, next.Calls.SelectMany(c => c));
        Assert.Empty(await h.DeadAsync());
    }

    [Fact]
    public async Task KeepAlive_SlowWork_IsNotReclaimedByAnotherConsumer_NorCountedAsADelivery()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(3);
        var slow = new SlowHandler();
        h.Start(slow, "slow");
        await TestScope.EventuallyAsync(() => Task.FromResult(slow.Calls == 1), "the batch is being processed");

        // As if a minute passed: without a keep-alive, another consumer would take these now.
        foreach (var id in ids)
        {
            await h.Db.ExecuteAsync("XCLAIM", h.Stream, RunnerHarness.Group, "slow", 0, id, "IDLE", 60_000, "JUSTID");
        }

        h.Clock.Advance(h.Options.ClaimIdle / 3);
        await TestScope.EventuallyAsync(async () => (await h.PendingDetailsAsync()).All(p => p.IdleTimeInMilliseconds < h.Options.ClaimIdle.TotalMilliseconds),
            "the keep-alive has reset the idle time");

        var other = ScriptedHandler.AckUnless((_, _) => { });
        h.Start(other, "other");
        await TestScope.EventuallyAsync(async () => (await h.Db.StreamConsumerInfoAsync(h.Stream, RunnerHarness.Group)).Any(c => c.Name == "other"),
            "the other consumer has made its claim pass and is reading");

        Assert.Equal(0, other.Count);
        Assert.All(await h.PendingDetailsAsync(), p => Assert.Equal(("slow", 1), (p.ConsumerName.ToString(), p.DeliveryCount)));

        slow.Release();
        await h.AdvanceUntilAsync(h.DrainedAsync, "the slow batch is acknowledged");
        Assert.Equal(0, other.Count);
    }

    [Fact]
    public async Task InFlightEntries_IdlePastClaimIdle_AreNotHandledAgainByTheirOwnConsumer_AndAreDeadLetteredOnce()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(3);
        var slow = new SlowHandler(EntryOutcome.DeadLetter("never fits"));
        h.Start(slow, "a");
        await TestScope.EventuallyAsync(() => Task.FromResult(slow.Calls == 1), "the batch is being processed");

        // As if the keep-alive had fallen a minute behind (an overloaded host): the consumer's own
        // claim pass now gets these entries back from XAUTOCLAIM, which counts a delivery.
        foreach (var id in ids)
        {
            await h.Db.ExecuteAsync("XCLAIM", h.Stream, RunnerHarness.Group, "a", 0, id, "IDLE", 60_000, "JUSTID");
        }

        await h.AdvanceUntilAsync(async () => (await h.PendingDetailsAsync()).All(p => p.DeliveryCount == 2), "the claim pass has taken them", h.Options.ClaimInterval);
        var later = (await h.AddAsync(1))[0];
        await h.AdvanceUntilAsync(() => Task.FromResult(slow.Batches.Any(b => b.Contains(later))), "the entry added later is being processed", h.Options.ClaimInterval);

        Assert.Equal(new[] { ids, new[] { later } }, slow.Batches);
        slow.Release();
        await h.AdvanceUntilAsync(h.DrainedAsync, "every entry is settled");
        var dead = await h.DeadAsync();
        Assert.Equal([.. ids, later], dead.Select(d => (string)d[DeadLetterFields.Id]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EntryTakenOverByAnotherConsumer_IsDeadLetteredOnlyByThatConsumer()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(3);
        var stalled = new SlowHandler(EntryOutcome.DeadLetter("never fits"));
        var stalledRun = h.Start(stalled, "stalled");
        await TestScope.EventuallyAsync(() => Task.FromResult(stalled.Calls == 1), "the batch is being processed");
        foreach (var id in ids)
        {
            await h.Db.ExecuteAsync("XCLAIM", h.Stream, RunnerHarness.Group, "stalled", 0, id, "IDLE", 60_000, "JUSTID");
        }

        var other = new SlowHandler(EntryOutcome.DeadLetter("never fits"));
        h.Start(other, "other");
        await TestScope.EventuallyAsync(() => Task.FromResult(other.Calls == 1), "the other consumer has taken the entries over");
        Assert.All(await h.PendingDetailsAsync(), p => Assert.Equal("other", p.ConsumerName.ToString()));

        // The stalled consumer finishes first (stopping waits for its batch to be settled), though
        // the entries are no longer its own.
        stalled.Release();
        await h.StopAsync(stalledRun);
        Assert.Empty(await h.DeadAsync());
        Assert.Equal(3, await h.PendingAsync());

        other.Release();
        await h.AdvanceUntilAsync(h.DrainedAsync, "every entry is settled");

        var dead = await h.DeadAsync();
        Assert.Equal(ids, dead.Select(d => (string)d[DeadLetterFields.Id]!));
        Assert.All(dead, d => Assert.Equal("other", (string?)d[DeadLetterFields.Consumer]));
    }
}
