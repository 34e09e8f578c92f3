using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Client;

/// <summary>
/// Posting a query until it is answered: a Redis Cluster failover can lose a request (a master
/// killed before its replica had it), delay a reply (published while this client's subscription
/// moves to another node) or refuse a posting (connection lost, <c>READONLY</c>, <c>MOVED</c>). The
/// request is posted again with the same id after <see cref="QueryOptions.RepostAfter"/> (then after
/// twice, four times that, ...), a refused posting is retried with back-off on the next partition,
/// all within <see cref="QueryOptions.Timeout"/>; the first reply wins (<see cref="OnReply"/> removes
/// the waiter, so later ones find nobody).
/// </summary>
public sealed partial class StreamRagClient
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private async Task<QueryReply> PostUntilAnsweredAsync(string requestId, NameValueEntry[] fields, Task<QueryReply> reply, QueryOptions options, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        TimeSpan Remaining() => options.Timeout - time.GetElapsedTime(started);
        var postings = 0;
        var refusals = 0;
        Exception? lastRefusal = null;
        while (Remaining() > TimeSpan.Zero && !reply.IsCompleted)
        {
            TimeSpan wait;
            if (postings < options.MaxAttempts)
            {
                var refusal = await TryPostAsync(fields, Shorter(options.EffectiveRepostAfter, Remaining()), cancellationToken);
                if (refusal is null)
                {
                    if (postings > 0)
                    {
                        ClientLog.Reposted(logger, requestId, postings + 1, options.MaxAttempts, RepostWait(options, postings).TotalMilliseconds);
                    }

                    postings++;
                    refusals = 0;
                    wait = RepostWait(options, postings);
                }
                else
                {
                    lastRefusal = refusal;
                    wait = Redis.Backoff.After(refusals++, MaxBackoff);
                    ClientLog.PostingRefused(logger, refusal, requestId, wait.TotalMilliseconds);
                }
            }
            else
            {
                wait = Remaining();
            }

            // A reply to an earlier posting may still come while this one waits or backs off.
            await WaitForReplyAsync(reply, Shorter(wait, Remaining()), cancellationToken);
        }

        return reply.IsCompleted ? await reply : throw new QueryTimeoutException(requestId, options.Timeout, postings, lastRefusal);
    }

    /// <summary>One XADD on the next partition in turn; the refusal when Redis refused it or did not answer <paramref name="within"/>.</summary>
    private async Task<Exception?> TryPostAsync(NameValueEntry[] fields, TimeSpan within, CancellationToken cancellationToken)
    {
        var post = PostAsync(NextQueryStream(), fields);
        try
        {
            // A healthy XADD answers in a millisecond; one that does not within the wait sits in the
            // backlog of a node that is down, and the next partition may well be up. It may still be
            // written later: a duplicate posting, answered alike and ignored.
            await post.WaitAsync(within, time, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is TimeoutException || RedisErrors.IsTransient(ex))
        {
            Observe(post);
            return ex;
        }
        catch (OperationCanceledException)
        {
            Observe(post);
            throw;
        }
    }

    /// <summary>The query-request partitions taken in turn, so postings spread over them (and over the masters that hold them).</summary>
    private RedisKey NextQueryStream() =>
        keys.QueryRequestStreams[(int)((uint)Interlocked.Increment(ref nextQueryPartition) % (uint)keys.StreamPartitions)].Stream;

    private async Task PostAsync(RedisKey stream, NameValueEntry[] fields)
    {
        await CheckPartitionsAsync();
        await redis.GetDatabase().StreamAddAsync(stream, fields);
    }

    /// <summary>Up to <paramref name="wait"/> for the reply; throws only when cancelled.</summary>
    private async Task WaitForReplyAsync(Task<QueryReply> reply, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await reply.WaitAsync(wait, time, cancellationToken);
        }
        catch (TimeoutException) when (!reply.IsCompleted)
        {
        }
    }

    /// <summary>
    /// The wait for a reply after the <paramref name="postings"/>th posting: <see cref="QueryOptions.RepostAfter"/>,
    /// doubling with each posting, so a backlog (replies late, nothing lost) costs few extra postings.
    /// </summary>
    private static TimeSpan RepostWait(QueryOptions options, int postings) =>
        options.EffectiveRepostAfter * Math.Pow(2, Math.Min(postings - 1, 16));

    private static TimeSpan Shorter(TimeSpan a, TimeSpan b) => TimeSpan.FromTicks(Math.Max(0, Math.Min(a.Ticks, b.Ticks)));

    /// <summary>An abandoned posting's failure is expected, not an unobserved task exception.</summary>
    private static void Observe(Task post) =>
        _ = post.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
