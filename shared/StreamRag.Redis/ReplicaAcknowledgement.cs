using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// Fewer replicas than <c>Redis:WaitForReplicas</c> confirmed a write in time. A
/// <see cref="RedisException"/>, so every retry path treats it as transient: the work is held and
/// tried again (and not acknowledged) rather than reported done while one crash could undo it.
/// </summary>
public sealed class ReplicasNotAcknowledgedException(string message) : RedisException(message);

/// <summary>
/// <c>Redis:WaitForReplicas</c>: after writes the fleet is about to acknowledge (an embedder's index
/// writes before XACK, a producer's XADD before it returns), <c>WAIT n timeout</c> on the master of
/// each written key. Redis replicates asynchronously, so without it a master that crashes right after
/// answering can take acknowledged writes with it when its replica is promoted. WAIT has no key: it is
/// sent to the key's master on the connection that carried the write, and covers every earlier write
/// of that connection (so one WAIT per master covers a whole batch).
/// </summary>
public sealed class ReplicaAcknowledgement
{
    private readonly int replicas;
    private readonly TimeSpan timeout;

    public ReplicaAcknowledgement(IOptions<RedisOptions> options)
        : this(options?.Value.WaitForReplicas ?? 0, options?.Value.WaitTimeout ?? TimeSpan.FromSeconds(1))
    {
    }

    public ReplicaAcknowledgement(int replicas, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        this.replicas = replicas;
        this.timeout = timeout;
    }

    /// <summary>No waiting (<c>Redis:WaitForReplicas=0</c>, the default).</summary>
    public static ReplicaAcknowledgement None { get; } = new(0, TimeSpan.Zero);

    public bool Enabled => replicas > 0;

    /// <summary>Returns once <c>WaitForReplicas</c> replicas of every master holding one of <paramref name="written"/> have all writes this connection sent it.</summary>
    /// <exception cref="ReplicasNotAcknowledgedException">A master had fewer replicas confirm within <c>WaitTimeout</c>.</exception>
    public async Task WaitAsync(IConnectionMultiplexer connection, IEnumerable<RedisKey> written)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(written);
        if (!Enabled)
        {
            return;
        }

        var db = connection.GetDatabase();
        var masters = new HashSet<System.Net.EndPoint>();
        foreach (var key in written)
        {
            if (await db.IdentifyEndpointAsync(key) is { } endpoint)
            {
                masters.Add(endpoint);
            }
        }

        var milliseconds = Math.Max(1, (long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        await Task.WhenAll(masters.Select(async endpoint =>
        {
            var acknowledged = (long)await connection.GetServer(endpoint).ExecuteAsync("WAIT", replicas.ToString(CultureInfo.InvariantCulture), milliseconds);
            if (acknowledged < replicas)
            {
                throw new ReplicasNotAcknowledgedException(string.Create(CultureInfo.InvariantCulture,
                    $"NOREPLICAS {acknowledged} of {replicas} replica(s) of {endpoint} confirmed the writes within {timeout.TotalMilliseconds:0} ms (Redis:WaitForReplicas)"));
            }
        }));
    }
}
