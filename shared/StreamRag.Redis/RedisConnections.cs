using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// Owns the host's Redis connections: one shared multiplexer for ordinary commands, and
/// dedicated connections for blocking stream reads. StackExchange.Redis pipelines every caller
/// through one socket, so a command that blocks server-side (XREADGROUP BLOCK) would stall every
/// other caller on it; a reader therefore gets a connection of its own.
/// </summary>
public sealed class RedisConnections(IOptions<RedisOptions> options) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> shared = new(() => ConnectAsync(options.Value, null));
    private readonly Lazy<Task<ConnectionMultiplexer[]>> search = new(() => Task.WhenAll(
        Enumerable.Range(0, options.Value.SearchConnections).Select(i => ConnectAsync(options.Value, c => c.ClientName = $"search-{i}"))));

    private int nextSearch;

    public Task<ConnectionMultiplexer> GetSharedAsync() => shared.Value;

    /// <summary>A database on one of the search connections, taken in turn.</summary>
    public async Task<IDatabase> GetSearchDatabaseAsync()
    {
        var pool = await search.Value;
        var i = (int)((uint)Interlocked.Increment(ref nextSearch) % (uint)pool.Length);
        return pool[i].GetDatabase();
    }

    /// <summary>A new connection whose commands may block for up to <paramref name="maxBlock"/>.</summary>
    public Task<ConnectionMultiplexer> ConnectDedicatedAsync(string name, TimeSpan maxBlock) =>
        ConnectAsync(options.Value, c =>
        {
            c.ClientName = name;
            var timeout = (int)(maxBlock + TimeSpan.FromSeconds(5)).TotalMilliseconds;
            c.AsyncTimeout = Math.Max(c.AsyncTimeout, timeout);
            c.SyncTimeout = Math.Max(c.SyncTimeout, timeout);
        });

    /// <summary>
    /// A new connection allowed to run server commands (INFO), for the monitor: StackExchange.Redis
    /// refuses them unless asked, and the shared connection keeps that guard for every other caller.
    /// </summary>
    public Task<ConnectionMultiplexer> ConnectAdminAsync(string name) =>
        ConnectAsync(options.Value, c =>
        {
            c.ClientName = name;
            c.AllowAdmin = true;
        });

    private static async Task<ConnectionMultiplexer> ConnectAsync(RedisOptions options, Action<ConfigurationOptions>? configure)
    {
        var config = CreateConfiguration(options);
        // StackExchange.Redis counts INFO (back-pressure, monitor) as an admin command; what each
        // worker may really run is governed server-side by its ACL user (deploy/users.acl), not by this switch.
        config.AllowAdmin = true;
        configure?.Invoke(config);
        return await ConnectionMultiplexer.ConnectAsync(config);
    }

    /// <summary>
    /// The client configuration every StreamRag connection starts from (hosts and the .NET client):
    /// the configuration string, reconnecting in the background, and the TLS trust and client
    /// certificate from <see cref="RedisOptions"/>.
    /// </summary>
    public static ConfigurationOptions CreateConfiguration(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = ConfigurationOptions.Parse(options.Configuration);
        // Keep retrying in the background when Redis is down or restarting: workers must reconnect by themselves.
        config.AbortOnConnectFail = false;
        config.ConnectRetry = Math.Max(config.ConnectRetry, 3);
        if (ReferenceEquals(config.CommandMap, CommandMap.Default))
        {
            // With admin mode on, the connection handshake reads CONFIG GET (databases, replica
            // settings) that no host needs; an ACL user must not be granted CONFIG (it reveals the
            // server's secrets), and every refused call would fill the server's ACL LOG.
            config.CommandMap = CommandMap.Create(new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "CONFIG" }, available: false);
        }

        if (!string.IsNullOrEmpty(options.TlsCaCertificate))
        {
            config.TrustIssuer(options.TlsCaCertificate);
        }

        if (!string.IsNullOrEmpty(options.TlsClientCertificate))
        {
            var certificate = X509Certificate2.CreateFromPemFile(options.TlsClientCertificate, string.IsNullOrEmpty(options.TlsClientKey) ? null : options.TlsClientKey);
            config.CertificateSelection += (_, _, _, _, _) => certificate;
        }

        return config;
    }

    public async ValueTask DisposeAsync()
    {
        if (shared.IsValueCreated)
        {
            var mux = await shared.Value;
            await mux.DisposeAsync();
        }

        if (search.IsValueCreated)
        {
            foreach (var mux in await search.Value)
            {
                await mux.DisposeAsync();
            }
        }
    }
}
