using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// Runs one consumer of a Redis stream consumer group: the loop every stream-driven worker shares.
/// It takes entries (<see cref="StreamIntake"/>: new ones, and those dead consumers left), hands
/// each batch to a <see cref="BatchSettler"/> (acknowledge, retry, dead-letter; transient failures
/// held, others counted and isolated), up to MaxInFlight entries at once, and keeps the group in
/// order beside it (<see cref="GroupMaintenance"/>: group creation, gauges, trimming, keep-alive).
/// On shutdown it stops reading, lets in-flight work finish for DrainTimeout, then releases what is
/// left so another consumer can take it at once.
/// </summary>
public sealed class ConsumerGroupRunner
{
    private readonly RedisConnections connections;
    private readonly ConsumerGroupOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<ConsumerGroupRunner> logger;
    private readonly ConsumerMetrics metrics;
    private readonly TransientFailures failures;

    /// <param name="classifiers">What else than Redis's own passing states counts as transient (e.g. the embedding provider unavailable).</param>
    public ConsumerGroupRunner(
        RedisConnections connections,
        ConsumerGroupOptions options,
        TimeProvider time,
        IMeterFactory meters,
        ILogger<ConsumerGroupRunner> logger,
        IEnumerable<ITransientFailureClassifier>? classifiers = null)
    {
        this.connections = connections;
        this.options = options;
        this.time = time;
        this.logger = logger;
        metrics = new ConsumerMetrics(meters);
        failures = new TransientFailures(classifiers ?? []);
    }

    /// <summary>
    /// Runs one consumer per partition of a stream, side by side (each with its own reader,
    /// reclaiming, dead letters, trimming and MaxInFlight). If one fails, the others are stopped
    /// and its exception is rethrown, so the host stops rather than consume some partitions only.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<StreamConsumerSpec> partitions, IStreamEntryHandler handler, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (partitions.Count == 1)
        {
            await RunAsync(partitions[0], handler, stoppingToken);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        await Task.WhenAll(partitions.Select(async spec =>
        {
            try
            {
                await RunAsync(spec, handler, stop.Token);
            }
            catch
            {
                await stop.CancelAsync();
                throw;
            }
        }));
    }

    public async Task RunAsync(StreamConsumerSpec spec, IStreamEntryHandler handler, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var maintenance = new GroupMaintenance(db, spec, options, time, metrics, logger);
        await maintenance.EnsureGroupAsync(stoppingToken);

        using var processing = new CancellationTokenSource();
        using var slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        var inFlight = new ConcurrentDictionary<Task, byte>();
        var held = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);

        await using var reader = await connections.ConnectDedicatedAsync($"{spec.Group}:{spec.Consumer}:reader", options.BlockTimeout);
        var intake = new StreamIntake(db, reader.GetDatabase(), spec, options, time, held.ContainsKey, metrics, logger);
        var settler = new BatchSettler(spec, handler, options, time, failures, new SettlementWriter(db, spec, options, time, logger), metrics, logger);
        var readFailures = 0;

        ConsumerLog.Started(logger, spec.Stream.ToString(), spec.Group, spec.Consumer);
        var upkeep = maintenance.MaintainAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var taken = 0;
            try
            {
                if (spec.Gate is not null)
                {
                    await spec.Gate.WaitOpenAsync(stoppingToken);
                }

                await slots.WaitAsync(stoppingToken);
                taken = 1;
                while (taken < options.ReadCount && slots.Wait(0, CancellationToken.None))
                {
                    taken++;
                }

                var batch = await intake.TakeAsync(taken, stoppingToken);
                readFailures = 0;
                if (batch.Entries.Length < taken)
                {
                    slots.Release(taken - batch.Entries.Length);
                }

                taken = 0;
                if (batch.Entries.Length > 0)
                {
                    foreach (var entry in batch.Entries)
                    {
                        held[(string)entry.Id!] = 0;
                    }

                    var task = ProcessAsync(maintenance, settler, batch, held, slots, processing.Token);
                    inFlight[task] = 0;
                    _ = task.ContinueWith(t => inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                Release(slots, taken);
                break;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                Release(slots, taken);
                ConsumerLog.GroupMissing(logger, spec.Stream.ToString(), spec.Group);
                await maintenance.EnsureGroupAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Release(slots, taken);
                readFailures++;
                ConsumerLog.ReadFailed(logger, ex, spec.Stream.ToString(), readFailures);
                await Task.Delay(Backoff.After(readFailures, options.MaxBackoff), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        await upkeep.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ConsumerLog.Draining(logger, spec.Stream.ToString(), inFlight.Count);
        await DrainAsync(inFlight.Keys.ToArray(), processing);
        await maintenance.ReleaseAsync(held.Keys.ToArray());
        ConsumerLog.Stopped(logger, spec.Stream.ToString(), spec.Consumer);
    }

    /// <summary>Waits for in-flight batches for up to DrainTimeout (on the runner's clock), then cancels them.</summary>
    private async Task DrainAsync(Task[] inFlight, CancellationTokenSource processing)
    {
        if (options.DrainTimeout <= TimeSpan.Zero)
        {
            await processing.CancelAsync();
        }

        using var deadline = new CancellationTokenSource(options.DrainTimeout > TimeSpan.Zero ? options.DrainTimeout : Timeout.InfiniteTimeSpan, time);
        using var cancelAtDeadline = deadline.Token.Register(processing.Cancel);
        await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>One batch beside the read loop: settled while its entries are kept alive; its slots are freed at the end.</summary>
    private static async Task ProcessAsync(GroupMaintenance maintenance, BatchSettler settler, IntakeBatch batch, ConcurrentDictionary<string, byte> held, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        // Let the read loop go on at once: processing runs beside it, up to MaxInFlight entries.
        await Task.Yield();
        using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ids = batch.Entries.Select(e => e.Id).ToArray();
        var keepAliveTask = maintenance.KeepAliveAsync(() => ids.Where(id => held.ContainsKey((string)id!)).ToArray(), keepAlive.Token);
        try
        {
            await settler.SettleAsync(batch, held, cancellationToken);
        }
        finally
        {
            await keepAlive.CancelAsync();
            await keepAliveTask.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            slots.Release(batch.Entries.Length);
        }
    }

    private static void Release(SemaphoreSlim slots, int taken)
    {
        if (taken > 0)
        {
            slots.Release(taken);
        }
    }
}
