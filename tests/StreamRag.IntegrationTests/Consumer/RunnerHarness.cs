using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests.Consumer;

/// <summary>
/// Consumer runners on one test's stream of the real Redis, all on one <see cref="FakeTimeProvider"/>:
/// back-offs, keep-alives, claim and maintenance passes and the drain timeout happen when the test
/// advances the clock. Redis's own idle times are real; tests that need an entry to look abandoned
/// set it with XCLAIM IDLE.
/// </summary>
internal sealed class RunnerHarness : IAsyncDisposable
{
    public const string Group = "runners";

    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<RunningConsumer> runs = [];

    public RunnerHarness(ITestRedisServer redis, Action<ConsumerGroupOptions>? configure = null, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        Scope = new TestScope(redis, test: test);
        Options = new ConsumerGroupOptions
        {
            ReadCount = 16,
            MaxInFlight = 64,
            BlockTimeout = TimeSpan.FromMilliseconds(50),
            ClaimIdle = TimeSpan.FromSeconds(30),
            ClaimInterval = TimeSpan.FromSeconds(1),
            MaxAttempts = 3,
            MaxDeliveries = 4,
            DrainTimeout = TimeSpan.FromSeconds(5),
            MaxBackoff = TimeSpan.FromSeconds(1),
        };
        configure?.Invoke(Options);
    }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public TestScope Scope { get; }

    public ConsumerGroupOptions Options { get; }

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public RedisKey Stream => Scope.Keys.DocumentEvents;

    public RedisKey DeadLetters => Scope.Keys.DocumentDeadLetters;

    public IDatabase Db => Scope.Db;

    public async Task<string[]> AddAsync(int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (string)(await Db.StreamAddAsync(Stream, [new("n", i)]))!;
        }

        return ids;
    }

    /// <summary>Starts a runner as <paramref name="consumer"/>; stop it with <see cref="StopAsync"/> (or at disposal).</summary>
    public RunningConsumer Start(IStreamEntryHandler handler, string consumer = "a", params ITransientFailureClassifier[] classifiers)
    {
        var runner = new ConsumerGroupRunner(Scope.Connections(), Options, Clock, services.GetRequiredService<IMeterFactory>(), NullLogger<ConsumerGroupRunner>.Instance, classifiers);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = new RunningConsumer(runner.RunAsync(new StreamConsumerSpec(Stream, DeadLetters, Group, consumer), handler, stop.Token), stop);
        runs.Add(running);
        return running;
    }

    /// <summary>Asks the runner to stop and advances the clock (the drain timeout runs on it) until it has.</summary>
    public async Task StopAsync(RunningConsumer running)
    {
        await running.Stop.CancelAsync();
        await AdvanceUntilAsync(() => Task.FromResult(running.Run.IsCompleted), "the runner has stopped");
        await running.Run;
    }

    /// <summary>Advances the clock step by step (default: MaxBackoff, so every back-off ends) until the condition holds.</summary>
    public async Task AdvanceUntilAsync(Func<Task<bool>> condition, string because, TimeSpan? step = null)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out waiting until {because}");
            }

            Clock.Advance(step ?? Options.MaxBackoff);
            await Task.Delay(10, Ct);
        }
    }

    public async Task<long> PendingAsync() =>
        (await Db.StreamGroupInfoAsync(Stream)).FirstOrDefault(g => g.Name == Group).PendingMessageCount;

    public async Task<bool> DrainedAsync()
    {
        var group = (await Db.StreamGroupInfoAsync(Stream)).FirstOrDefault(g => g.Name == Group);
        return group.Name is not null && group.PendingMessageCount == 0 && group.Lag == 0;
    }

    public async Task<StreamEntry[]> DeadAsync() => await Db.StreamRangeAsync(DeadLetters);

    /// <summary>Entries read by a consumer that then died: pending to it, idle for <paramref name="idle"/>, delivered <paramref name="deliveries"/> times.</summary>
    public async Task AbandonAsync(string[] ids, TimeSpan idle, int deliveries)
    {
        await Db.StreamCreateConsumerGroupAsync(Stream, Group, "0-0", createStream: true);
        var read = await Db.StreamReadGroupAsync(Stream, Group, "ghost", ">", ids.Length);
        Assert.Equal(ids, read.Select(e => (string)e.Id!));
        foreach (var id in ids)
        {
            await Db.ExecuteAsync("XCLAIM", Stream, Group, "ghost", 0, id, "IDLE", (long)idle.TotalMilliseconds, "RETRYCOUNT", deliveries, "JUSTID");
        }
    }

    /// <summary>XPENDING details of every pending entry: owner, idle milliseconds, deliveries.</summary>
    public async Task<StreamPendingMessageInfo[]> PendingDetailsAsync() =>
        await Db.StreamPendingMessagesAsync(Stream, Group, 1000, RedisValue.Null);

    public async ValueTask DisposeAsync()
    {
        foreach (var (run, stop) in runs)
        {
            if (!run.IsCompleted)
            {
                await stop.CancelAsync();
                Clock.Advance(Options.DrainTimeout);
                await run.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            stop.Dispose();
        }

        await Scope.DisposeAsync();
        await services.DisposeAsync();
    }
}

/// <summary>A runner started by the harness, and how to stop it.</summary>
internal sealed record RunningConsumer(Task Run, CancellationTokenSource Stop);

/// <summary>A handler that records every call (the ids it was given) and answers as its script says.</summary>
internal sealed class ScriptedHandler(Func<IReadOnlyList<StreamEntry>, int, EntryOutcome[]> script) : IStreamEntryHandler
{
    private readonly ConcurrentQueue<string[]> calls = new();
    private int count;

    /// <summary>Acknowledges everything, unless <paramref name="fails"/> throws for the batch.</summary>
    public static ScriptedHandler AckUnless(Action<IReadOnlyList<StreamEntry>, int> fails) =>
        new((batch, call) =>
        {
            fails(batch, call);
            return batch.Select(_ => EntryOutcome.Ack).ToArray();
        });

    public IReadOnlyList<string[]> Calls => calls.ToArray();

    public int Count => Volatile.Read(ref count);

    public Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref count);
        calls.Enqueue(entries.Select(e => (string)e.Id!).ToArray());
        return Task.FromResult(script(entries, call));
    }
}

/// <summary>A handler that takes as long as the test wants: it returns its outcome (Ack unless told) for every entry once released, or stops when cancelled.</summary>
internal sealed class SlowHandler(EntryOutcome? outcome = null) : IStreamEntryHandler
{
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string[]> batches = new();
    private int calls;

    public int Calls => Volatile.Read(ref calls);

    /// <summary>The ids of every batch it was given, in order.</summary>
    public IReadOnlyList<string[]> Batches => batches.ToArray();

    public bool Cancelled { get; private set; }

    public void Release() => release.TrySetResult();

    public async Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        batches.Enqueue(entries.Select(e => (string)e.Id!).ToArray());
        Interlocked.Increment(ref calls);
        try
        {
            await release.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled = true;
            throw;
        }

        return entries.Select(_ => outcome ?? EntryOutcome.Ack).ToArray();
    }
}
