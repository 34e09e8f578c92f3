using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 9: the ACL file in deploy/ gives each role exactly what it needs. With a Redis that
/// loads it, every role does its job end to end (and the server logs no refused command), and each
/// role is refused what it must not do. Then TLS: workers and clients over TLS with a private CA.
/// </summary>
public sealed class AccessTests(FaultReport report)
{
    private static readonly string[] Roles = ["admin", "producer", "app", "embedder", "query", "sweeper", "monitor"];

    private static readonly KeySchema Keys = new("rag", 1);

    [Fact]
    public async Task AclRoles_EachDoesItsJob_AndIsRefusedWhatItMustNotDo()
    {
        var passwords = Roles.ToDictionary(r => r, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var dir = Directory.CreateTempSubdirectory("streamrag-acl-").FullName;
        var aclFile = Path.Combine(dir, "users.acl");
        await RenderAclAsync(aclFile, passwords);
        await using var server = await RedisServerFixture.StartDedicatedAsync(["--aclfile", aclFile], $"user=admin,password={passwords["admin"]}");
        var admin = server.Connection.GetDatabase();
        string As(string role) => $"{server.Configuration},user={role},password={passwords[role]}";

        var settings = new Dictionary<string, string?>
        {
            ["Redis:KeyPrefix"] = "rag",
            ["Index:Engine"] = "vectorset",
            ["Consumer:ClaimIdle"] = "00:00:01",
            ["Consumer:ClaimInterval"] = "00:00:00.250",
            ["Consumer:BlockTimeout"] = "00:00:00.500",
            ["Consumer:MaxBackoff"] = "00:00:00.500",
            ["Logging:LogLevel:Default"] = "Warning",
            // Worker processes started by tests must not fight over the default scrape ports (another run may hold them).
            ["Metrics:PrometheusPort"] = "0",
        };
        await admin.ExecuteAsync("ACL", "LOG", "RESET");
        await using var embedder = WorkerProcess.Start("Embedder", new Dictionary<string, string?>(settings) { ["Redis:Configuration"] = As("embedder") });
        await using var queryWorker = WorkerProcess.Start("Query", new Dictionary<string, string?>(settings) { ["Redis:Configuration"] = As("query") });

        var connections = new Dictionary<string, ConnectionMultiplexer>();
        foreach (var role in Roles.Where(r => r != "admin"))
        {
            // Configured as the fleet configures its own connections (no CONFIG in the handshake).
            var options = RedisConnections.CreateConfiguration(new RedisOptions { Configuration = As(role) });
            options.AllowAdmin = true; // so KEYS and FLUSHALL reach the server and are refused there
            options.AbortOnConnectFail = false;
            var log = new StringWriter();
            connections[role] = await ConnectionMultiplexer.ConnectAsync(options, log);
            Assert.True(connections[role].IsConnected, $"{role} could not connect:\n{log}");
        }

        try
        {
            // The producer feeds documents, the app asks: through the workers' own ACL users.
            await using var producer = new StreamRagClient(connections["producer"], Keys);
            await producer.UpsertDocumentAsync(new DocumentUpsert("bees", 1, "Honeybees live in a hive ruled by a queen.") { Source = "wiki" }, Ct);
            // A copy under another id: the embedder's duplicate check reads the first one's attributes (VGETATTR).
            await producer.UpsertDocumentAsync(new DocumentUpsert("bees-copy", 1, "Honeybees live in a hive ruled by a queen.") { Source = "wiki" }, Ct);
            await producer.UpsertDocumentAsync(new DocumentUpsert("lava", 1, "Volcanoes erupt when magma rises through the crust.") { Source = "wiki" }, Ct);
            await connections["producer"].GetDatabase().StreamAddAsync(Keys.DocumentEvents,
                [new("id", "old"), new("version", 1), new("content", "An expired notice."), new("expires_at", 1000)]);
            await producer.DeleteDocumentAsync("lava", 2, cancellationToken: Ct);
            await EventuallyAsync(async () => (await admin.StreamGroupInfoAsync(Keys.DocumentEvents)).FirstOrDefault() is { PendingMessageCount: 0, Lag: 0 },
                "the embedder (ACL user embedder) has indexed every event", TimeSpan.FromSeconds(60), () => embedder.Output);

            await using var app = new StreamRagClient(connections["app"], Keys);
            var reply = await app.QueryAsync("what rules the hive?", new Client.QueryOptions { K = 2, Timeout = TimeSpan.FromSeconds(10) }, Ct);
            Assert.Equal("ok", reply.Status);
            Assert.Equal(["bees", "bees-copy"], reply.Results.Select(r => r.Id).Order(StringComparer.Ordinal));

            // A watch: registered by the app (the query worker's transaction), matched by the embedder
            // (VSIM, the notify script), its notification read back by the app.
            var watch = await app.RegisterWatchAsync("queen bees in a hive", new Client.WatchQueryOptions { Threshold = 0.6, NotifyTo = Keys.WatchStreamPrefix + "acl", Timeout = TimeSpan.FromSeconds(10) }, Ct);
            await producer.UpsertDocumentAsync(new DocumentUpsert("bees-2", 1, "A queen rules the bees of a hive.") { Source = "wiki" }, Ct);
            await EventuallyAsync(async () => (await connections["app"].GetDatabase().StreamRangeAsync(Keys.WatchStreamPrefix + "acl")).Any(e => e["watch"] == watch.Id),
                "the app reads the watch's notification", TimeSpan.FromSeconds(30), () => embedder.Output + queryWorker.Output);
            Assert.True(await app.UnwatchAsync(watch.Id, cancellationToken: Ct));

            // The sweeper's index operations (list tenants, find and expire due documents).
            await using var sweeperConnections = new RedisConnections(Options.Create(new RedisOptions { Configuration = As("sweeper") }));
            var sweeperIndex = new IndexUnderTest(new VectorSetIndex(sweeperConnections, Keys, Options.Create(new IndexOptions())), sweeperConnections, Keys);
            var tenants = await sweeperIndex.ListTenantsAsync(Ct);
            var due = await sweeperIndex.DueForExpiryAsync("default", DateTimeOffset.UtcNow, 10, Ct);
            Assert.Equal("old", Assert.Single(due).Id);
            Assert.True(await sweeperIndex.ExpireAsync("default", "old", due[0].ExpiresAt, Ct));
            await connections["sweeper"].GetDatabase().StreamAddAsync(Keys.DocumentDeletions, [new("id", "old"), new("tenant", "default")]);

            // Every host reads the index manifest at start-up and records its part if missing (the embedder did first).
            foreach (var role in new[] { "sweeper", "monitor" })
            {
                var manifest = await IndexManifestStore.RecordAsync(connections[role].GetDatabase(), Keys, "vectorset", null, DateTimeOffset.UtcNow, role);
                Assert.Equal("vectorset", manifest.Engine);
                Assert.Equal("hashing-v1", manifest.Model?.Id);
            }

            // The monitor: index statistics, live settings, alerts, group lag, and the query-metrics
            // stream consumed with the fleet's own consumer-group runner.
            await using var monitorConnections = new RedisConnections(Options.Create(new RedisOptions { Configuration = As("monitor") }));
            var stats = await new VectorSetIndex(monitorConnections, Keys, Options.Create(new IndexOptions())).GetStatsAsync(Ct);
            Assert.Equal(3, stats.Vectors); // bees, bees-copy and the watched bees-2
            var monitorDb = connections["monitor"].GetDatabase();
            await monitorDb.HashSetAsync(Keys.Settings, Contracts.SettingsFields.SearchEf, 120);
            await monitorDb.StreamAddAsync(Keys.Alerts, [new("alert", "test"), new("state", "fired")]);
            await monitorDb.PublishAsync(Keys.AlertsChannel, "test");
            Assert.NotEmpty(await monitorDb.StreamGroupInfoAsync(Keys.DocumentEvents));
            var consumed = await ConsumeMetricsAsMonitorAsync(monitorConnections);
            Assert.True(consumed >= 1, "the monitor should read the query worker's metrics entries");

            // Nothing the fleet did was refused.
            var refused = await AclLogAsync(admin);
            Assert.True(refused.Count == 0, "refused while doing their jobs:\n" + string.Join("\n", refused));

            // What each role must not do.
            var vset = Keys.Partition("default", 0).VectorSet;
            var doc = Keys.Partition("default", 0).Document("bees");
            var forbidden = new (string Role, string Why, object[] Command)[]
            {
                ("producer", "read the queries", ["XRANGE", Keys.QueryRequests, "-", "+"]),
                ("producer", "post queries", ["XADD", Keys.QueryRequests, "*", "id", "x"]),
                ("producer", "read the document stream back", ["XRANGE", Keys.DocumentEvents, "-", "+"]),
                ("producer", "read documents", ["HGET", doc, "c:0"]),
                ("producer", "forge replies", ["PUBLISH", "rag:reply:someone", "{}"]),
                ("app", "read documents directly", ["HGET", doc, "c:0"]),
                ("app", "search the index directly", ["VSIM", vset, "ELE", "bees#0"]),
                ("app", "write the index", ["VADD", vset, "VALUES", "1", "1", "x#0"]),
                ("app", "inject documents", ["XADD", Keys.DocumentEvents, "*", "id", "x", "version", "1", "content", "x"]),
                ("app", "read other apps' requests", ["XRANGE", Keys.QueryRequests, "-", "+"]),
                ("app", "forge replies", ["PUBLISH", "rag:reply:someone", "{}"]),
                ("app", "run scripts", ["EVAL", "return 1", "0"]),
                ("embedder", "answer queries", ["PUBLISH", "rag:reply:someone", "{}"]),
                ("embedder", "read the queries", ["XRANGE", Keys.QueryRequests, "-", "+"]),
                ("embedder", "change live settings", ["HSET", Keys.Settings, "search_ef", "1"]),
                ("embedder", "wipe the server", ["FLUSHALL"]),
                ("embedder", "list every key", ["KEYS", "*"]),
                ("query", "write the index", ["VADD", vset, "VALUES", "1", "1", "x#0"]),
                ("query", "change documents", ["HSET", doc, "c:0", "forged"]),
                ("query", "delete the index", ["DEL", vset]),
                ("query", "read the document stream", ["XRANGE", Keys.DocumentEvents, "-", "+"]),
                ("query", "inject documents", ["XADD", Keys.DocumentEvents, "*", "id", "x"]),
                ("query", "run scripts", ["EVAL", "return 1", "0"]),
                ("sweeper", "inject documents", ["XADD", Keys.DocumentEvents, "*", "id", "x"]),
                ("sweeper", "read the queries", ["XRANGE", Keys.QueryRequests, "-", "+"]),
                ("sweeper", "forge replies", ["PUBLISH", "rag:reply:someone", "{}"]),
                ("monitor", "write the index", ["VADD", vset, "VALUES", "1", "1", "x#0"]),
                ("monitor", "change documents", ["HSET", doc, "c:0", "forged"]),
                ("monitor", "read document contents from the stream", ["XRANGE", Keys.DocumentEvents, "-", "+"]),
                ("monitor", "take the embedders' work", ["XREADGROUP", "GROUP", "embedders", "spy", "COUNT", "1", "STREAMS", Keys.DocumentEvents, ">"]),
                ("monitor", "post queries", ["XADD", Keys.QueryRequests, "*", "id", "x"]),
            };
            var allowedByMistake = new List<string>();
            foreach (var (role, why, command) in forbidden)
            {
                try
                {
                    await connections[role].GetDatabase().ExecuteAsync((string)command[0], command[1..]);
                    allowedByMistake.Add($"{role} could {why}");
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
                {
                    // Refused, as it must be.
                }
            }

            // The default (anonymous) user may only PING, for health checks. StackExchange.Redis cannot even
            // connect as it (its handshake needs ECHO), so this speaks RESP over a plain socket.
            var reconfigure = await RawAsync(server.Port, ["AUTH", "embedder", passwords["embedder"]], ["CONFIG", "SET", "maxmemory", "1"], ["CONFIG", "GET", "*"]);
            Assert.Equal("+OK", reconfigure[0]);
            Assert.All(reconfigure.Skip(1), r => Assert.StartsWith("-NOPERM", r, StringComparison.Ordinal));
            var anonymous = await RawAsync(server.Port, ["PING"], ["GET", "rag:settings"], ["XADD", "rag:{docs}:events", "*", "id", "x"], ["HGET", "rag:{default.0}:doc:bees", "c:0"]);
            Assert.Equal("+PONG", anonymous[0]);
            Assert.All(anonymous.Skip(1), r => Assert.StartsWith("-NOPERM", r, StringComparison.Ordinal));

            // A request whose reply channel is outside the fleet's namespace cannot be answered (the
            // query user may not publish there): it is dead-lettered, and the worker keeps serving.
            await connections["app"].GetDatabase().StreamAddAsync(Keys.QueryRequests, Requests.Query("outside", "bees", "elsewhere:replies"));
            await EventuallyAsync(async () => await admin.StreamLengthAsync(Keys.QueryDeadLetters) == 1, "the unanswerable request is dead-lettered", TimeSpan.FromSeconds(20), () => queryWorker.Output);
            var dead = (await admin.StreamRangeAsync(Keys.QueryDeadLetters)).Single();
            var again = await app.QueryAsync("volcano magma", new Client.QueryOptions { K = 1, Timeout = TimeSpan.FromSeconds(10) }, Ct);

            await report.WriteAsync(new FaultRow(
                "9 access (ACL)",
                "embedder and query worker processes, producer and app clients, sweeper and monitor operations, each as its own ACL user (deploy/users.acl)",
                $"{forbidden.Length + 2} forbidden commands tried across the 6 roles, 3 as the default user; a request with a reply channel outside rag:reply:*",
                0,
                0,
                null,
                $"refused while working: {refused.Count}; forbidden but allowed: {allowedByMistake.Count}; tenants seen by the sweeper: {string.Join(",", tenants)}; unanswerable request dead-lettered: {(string?)dead[DeadLetterFields.Reason]}"));

            Assert.True(allowedByMistake.Count == 0, string.Join("\n", allowedByMistake));
            Assert.StartsWith("invalid_field: the reply could not be published", (string?)dead[DeadLetterFields.Reason], StringComparison.Ordinal);
            Assert.Equal("ok", again.Status);
            Assert.False(embedder.HasExited || queryWorker.HasExited, embedder.Output + queryWorker.Output);
        }
        finally
        {
            foreach (var connection in connections.Values)
            {
                await connection.DisposeAsync();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_WorkersAndClientsConnectOverTls_WithAPrivateCaAndClientCertificates()
    {
        if (!File.Exists("/usr/bin/openssl"))
        {
            Assert.Skip("openssl is not installed: cannot make the test certificates");
        }

        var dir = Directory.CreateTempSubdirectory("streamrag-tls-").FullName;
        try
        {
            await MakeCertificatesAsync(dir);
            var tlsPort = LoopbackPorts.Any();
            DedicatedRedisServer server;
            try
            {
                server = await RedisServerFixture.StartDedicatedAsync(
                    "--tls-port", tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--tls-cert-file", Path.Combine(dir, "server.crt"), "--tls-key-file", Path.Combine(dir, "server.key"),
                    "--tls-ca-cert-file", Path.Combine(dir, "ca.crt"), "--tls-auth-clients", "yes");
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("tls", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Skip($"this Redis build does not support TLS: {ex.Message}");
                return;
            }

            await using var serverLifetime = server;
            await using var scope = new TestScope(server);
            var tls = new Dictionary<string, string?>
            {
                ["Redis:Configuration"] = $"127.0.0.1:{tlsPort},ssl=true,sslHost=localhost",
                ["Redis:TlsCaCertificate"] = Path.Combine(dir, "ca.crt"),
                ["Redis:TlsClientCertificate"] = Path.Combine(dir, "client.crt"),
                ["Redis:TlsClientKey"] = Path.Combine(dir, "client.key"),
            };
            var settings = scope.Settings([.. FastReclaim]);
            foreach (var (key, value) in tls)
            {
                settings[key] = value;
            }

            await using var embedder = WorkerProcess.Start("Embedder", settings);
            await using var queryWorker = WorkerProcess.Start("Query", settings);
            var options = new RedisOptions
            {
                KeyPrefix = scope.Prefix,
                Configuration = tls["Redis:Configuration"]!,
                TlsCaCertificate = tls["Redis:TlsCaCertificate"],
                TlsClientCertificate = tls["Redis:TlsClientCertificate"],
                TlsClientKey = tls["Redis:TlsClientKey"],
            };
            await using var appConnection = await ConnectionMultiplexer.ConnectAsync(RedisConnections.CreateConfiguration(options));
            await using var client = new StreamRagClient(appConnection, scope.Keys);
            await client.UpsertDocumentAsync(new DocumentUpsert("bees", 1, "Honeybees live in a hive ruled by a queen."), Ct);
            await using var tlsConnections = new RedisConnections(Options.Create(options));
            var index = new IndexUnderTest(new VectorSetIndex(tlsConnections, scope.Keys, Options.Create(new IndexOptions())), tlsConnections, scope.Keys);
            await EventuallyAsync(async () => await index.GetStateAsync("default", "bees", Ct) is not null, "the document is indexed over TLS", TimeSpan.FromSeconds(30), () => embedder.Output);
            var reply = await client.QueryAsync("queen of the hive", new Client.QueryOptions { K = 1, Timeout = TimeSpan.FromSeconds(10) }, Ct);

            // Every connection but the test's own admin one is on the TLS port.
            var clients = (string)(await server.Connection.GetDatabase().ExecuteAsync("CLIENT", "LIST"))!;
            var workerLines = clients.Split('\n').Where(l => l.Contains("id=", StringComparison.Ordinal) && !l.Contains($"name={DedicatedRedisServer.TestClientName} ", StringComparison.Ordinal)).ToArray();
            var onTls = workerLines.Count(l => Regex.IsMatch(l, $@"\sladdr=127\.0\.0\.1:{tlsPort}\s"));

            // Without the private CA the server certificate is not trusted.
            var untrusted = ConfigurationOptions.Parse($"127.0.0.1:{tlsPort},ssl=true,sslHost=localhost,connectTimeout=2000,abortConnect=true");
            var refusedWithoutCa = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(untrusted));

            await report.WriteAsync(new FaultRow(
                "9 access (TLS)",
                "embedder and query worker processes and a client over TLS (tls-auth-clients yes), private CA and client certificates made with openssl",
                "a client that does not trust the CA",
                0,
                0,
                null,
                $"answer over TLS: {reply.Status} {(reply.Results.Count > 0 ? reply.Results[0].Id : "none")}; worker connections on the TLS port: {onTls} of {workerLines.Length}; untrusted client refused: {refusedWithoutCa.GetType().Name}"));

            Assert.Equal("bees", Assert.Single(reply.Results).Id);
            Assert.True(onTls > 0 && onTls == workerLines.Length, $"{onTls} of {workerLines.Length} worker connections use TLS:\n{clients}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Reads the monitor's metrics stream with the fleet's consumer-group runner, as the monitor user.</summary>
    private static async Task<int> ConsumeMetricsAsMonitorAsync(RedisConnections connections)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new ConsumerGroupOptions { ClaimIdle = TimeSpan.FromSeconds(1), ClaimInterval = TimeSpan.FromMilliseconds(250), BlockTimeout = TimeSpan.FromMilliseconds(200) };
        var log = new LogCapture();
        var runner = new ConsumerGroupRunner(connections, options, TimeProvider.System, services.GetRequiredService<IMeterFactory>(), log.CreateLogger<ConsumerGroupRunner>());
        var handler = new CountingHandler();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = runner.RunAsync(new StreamConsumerSpec(Keys.QueryMetrics, "rag:{metrics}:dead", Keys.MonitorGroup, "monitor-test"), handler, stop.Token);
        // The first loop pass claims (XAUTOCLAIM) before it reads; then wait for a maintenance pass
        // after the entries were handled (XINFO GROUPS, XPENDING, XTRIM), then stop (and release).
        await EventuallyAsync(() => Task.FromResult(handler.Count > 0), "the monitor consumes query metrics", TimeSpan.FromSeconds(20));
        var trims = log.Of(TrimmedEvent).Count;
        await EventuallyAsync(() => Task.FromResult(log.Of(TrimmedEvent).Count > trims), "a maintenance pass has trimmed after the entries were handled", TimeSpan.FromSeconds(20));
        await stop.CancelAsync();
        await run;
        return handler.Count;
    }

    /// <summary>The runner's log event of a trim pass (ConsumerLog.Trimmed).</summary>
    private const int TrimmedEvent = 1015;

    private sealed class CountingHandler : IStreamEntryHandler
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref count, entries.Count);
            return Task.FromResult(entries.Select(_ => EntryOutcome.Ack).ToArray());
        }
    }

    /// <summary>Sends inline-free RESP commands on a fresh socket (no AUTH: the default user) and returns each reply's first line.</summary>
    private static async Task<string[]> RawAsync(int port, params string[][] commands)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port, Ct);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var replies = new List<string>();
        foreach (var command in commands)
        {
            var request = new System.Text.StringBuilder().Append('*').Append(command.Length).Append("\r\n");
            foreach (var arg in command)
            {
                request.Append('$').Append(System.Text.Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
            }

            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(request.ToString()), Ct);
            replies.Add(await reader.ReadLineAsync(Ct) ?? "");
        }

        return replies.ToArray();
    }

    private static async Task<List<string>> AclLogAsync(IDatabase admin)
    {
        var entries = new List<string>();
        var log = await admin.ExecuteAsync("ACL", "LOG");
        for (var i = 0; i < log.Length; i++)
        {
            var entry = log[i];
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var f = 0; f + 1 < entry.Length; f += 2)
            {
                fields[(string)entry[f]!] = entry[f + 1].Resp2Type == ResultType.Array ? "" : (string?)entry[f + 1] ?? "";
            }

            entries.Add($"{fields.GetValueOrDefault("username")}: {fields.GetValueOrDefault("reason")} {fields.GetValueOrDefault("object")} ({fields.GetValueOrDefault("context")}, count {fields.GetValueOrDefault("count")})");
        }

        return entries;
    }

    private static async Task RenderAclAsync(string path, IReadOnlyDictionary<string, string> passwords)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RedisServerFixture.RepositoryRoot(), "deploy", "acl.sh"), path]) { RedirectStandardError = true };
        foreach (var (role, password) in passwords)
        {
            start.Environment[$"STREAMRAG_ACL_{role.ToUpperInvariant()}_PASSWORD"] = password;
        }

        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"deploy/acl.sh failed: {errors}");
    }

    private static async Task MakeCertificatesAsync(string dir)
    {
        await File.WriteAllTextAsync(Path.Combine(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "client.ext"), "extendedKeyUsage=clientAuth\n", Ct);
        string[][] steps =
        [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=StreamRag test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=streamrag-worker"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.crt", "-days", "2", "-extfile", "client.ext"],
        ];
        foreach (var args in steps)
        {
            using var process = Process.Start(new ProcessStartInfo("/usr/bin/openssl", args) { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true })!;
            var errors = process.StandardError.ReadToEndAsync(Ct);
            await process.StandardOutput.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', args)} failed: {await errors}");
        }
    }
}
