using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Security;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 9 (tokens): with <c>Security:Tokens:Mode=Required</c>, embedder and query worker processes
/// refuse every forged or misused token with <c>unauthorized</c> (an error reply for a query, a dead
/// letter for a document event), answer a valid one, never return or write another tenant's
/// documents, and send no reply outside the requesting tenant's reply namespace.
/// </summary>
public sealed class TokenTests(RedisServerFixture redis, FaultReport report)
{
    /// <summary>A token-required fleet's signing keys and the settings that configure its workers with their public halves.</summary>
    internal sealed class TokenFleet : IDisposable
    {
        private readonly string dir = Directory.CreateTempSubdirectory("streamrag-tokens-").FullName;

        public TokenFleet()
        {
            // Two keys configured (a rotation under way); "k1" was rotated out: its tokens must fail.
            File.WriteAllText(Path.Combine(dir, "k2.pub.pem"), Current.ExportSubjectPublicKeyInfoPem());
            Settings =
            [
                ("Security:Tokens:Mode", "Required"),
                ("Security:Tokens:Keys:0:Kid", "k2"), ("Security:Tokens:Keys:0:PublicKeyFile", Path.Combine(dir, "k2.pub.pem")),
                ("Security:Tokens:Keys:1:Kid", "k3"), ("Security:Tokens:Keys:1:PublicKeyPem", Next.ExportSubjectPublicKeyInfoPem()),
            ];
        }

        public ECDsa Current { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public ECDsa Next { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public ECDsa RotatedOut { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public ECDsa Stranger { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public (string Key, string Value)[] Settings { get; }

        public string Issue(string tenant, TokenScope scope, ECDsa? key = null, string kid = "k2", TimeSpan? from = null, TimeSpan? ttl = null)
        {
            var start = DateTimeOffset.UtcNow + (from ?? TimeSpan.FromMinutes(-1));
            return TokenIssuer.Issue(key ?? Current, kid, [tenant], [scope], start, start + (ttl ?? TimeSpan.FromHours(1)));
        }

        /// <summary>Every way to forge or misuse a token for <paramref name="scope"/> in tenant acme, with the reason its refusal must give.</summary>
        public (string Kind, string? Token, string Reason)[] Misuses(TokenScope scope)
        {
            var other = scope == TokenScope.Query ? TokenScope.Write : TokenScope.Query;
            var scopeName = TokenClaims.NameOf(scope);
            var later = DateTimeOffset.UtcNow.AddHours(1);
            return
            [
                ("no token", null, "missing token"),
                ("not a JWT", "abc.def", "malformed token"),
                ("expired", Issue("acme", scope, from: TimeSpan.FromHours(-2)), "token expired"),
                ("not yet valid", Issue("acme", scope, from: TimeSpan.FromHours(1)), "token not yet valid"),
                ("signed with a stranger's key under a configured kid", Issue("acme", scope, Stranger), "bad signature"),
                ("alg none", ForgedTokens.Unsigned("k2", ["acme"], "query write", later), "bad signature: algorithm 'none'"),
                ("HS256 keyed with the public key", ForgedTokens.Hmac("k2", Encoding.ASCII.GetBytes(Current.ExportSubjectPublicKeyInfoPem()), ["acme"], "query write", later), "bad signature: algorithm 'HS256'"),
                ("tampered payload (globex's token rewritten to acme)", ForgedTokens.Tampered(Issue("globex", scope), p => p["tenants"] = new JsonArray("acme")), "bad signature"),
                ("another tenant's token", Issue("globex", scope), "tenant not granted"),
                ($"{TokenClaims.NameOf(other)} scope used to {scopeName}", Issue("acme", other), "scope not granted"),
                ("key rotated out", Issue("acme", scope, RotatedOut, "k1"), "unknown key"),
            ];
        }

        public void Dispose()
        {
            Current.Dispose();
            Next.Dispose();
            RotatedOut.Dispose();
            Stranger.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TokensRequired_EveryForgeryAndMisuseIsUnauthorized_AValidTokenWorks_NoTenantCrossed()
    {
        using var fleet = new TokenFleet();
        await using var scope = new TestScope(redis);
        var settings = scope.Settings([.. FastReclaim, .. fleet.Settings]);
        await using var embedder = WorkerProcess.Start("Embedder", settings);
        await using var queryWorker = WorkerProcess.Start("Query", settings);
        var db = scope.Db;
        var index = scope.Index();
        string Output() => embedder.Output + queryWorker.Output;

        // Valid writes: acme's and globex's documents, through the client with each tenant's write token.
        await using (var acmeProducer = new StreamRagClient(redis.Connection, scope.Keys) { Token = fleet.Issue("acme", TokenScope.Write) })
        {
            await acmeProducer.UpsertDocumentAsync(new DocumentUpsert("bees", 1, "Honeybees live in a hive ruled by a queen.") { Tenant = "acme" }, Ct);
            await acmeProducer.UpsertDocumentAsync(new DocumentUpsert("old", 1, "An old notice about bees, to be deleted.") { Tenant = "acme" }, Ct);
            await acmeProducer.DeleteDocumentAsync("old", 2, "acme", Ct);
        }

        await using var globexProducer = new StreamRagClient(redis.Connection, scope.Keys);
        // A token of the second configured key (k3) works as well as one of the first.
        await globexProducer.UpsertDocumentAsync(new DocumentUpsert("plan", 1, "Globex secret plan: bees in the volcano lair.") { Tenant = "globex", Token = fleet.Issue("globex", TokenScope.Write, fleet.Next, "k3") }, Ct);

        // Forged or misused writes into acme: each its own document, none may be written.
        var writes = fleet.Misuses(TokenScope.Write);
        for (var i = 0; i < writes.Length; i++)
        {
            var fields = new List<NameValueEntry> { new("id", $"forged-{i}"), new("version", 1), new("tenant", "acme"), new("content", $"Forged bees content {i}.") };
            if (writes[i].Token is { } token)
            {
                fields.Add(new("token", token));
            }

            await db.StreamAddAsync(scope.Keys.DocumentEvents, fields.ToArray());
        }

        await WaitDrainedAsync(db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(60), Output);
        var deadDocuments = await db.StreamRangeAsync(scope.Keys.DocumentDeadLetters);
        var documentReasons = deadDocuments.ToDictionary(e => (string)e["id"]!, e => (string)e[DeadLetterFields.Reason]!, StringComparer.Ordinal);
        var forgedWritten = 0;
        for (var i = 0; i < writes.Length; i++)
        {
            forgedWritten += await index.GetStateAsync("acme", $"forged-{i}", Ct) is null ? 0 : 1;
        }

        // Queries: raw requests on acme's reply namespace, so forged tokens can be sent at all.
        var replies = new ConcurrentDictionary<string, JsonElement>(StringComparer.Ordinal);
        var heardOnGlobex = 0;
        var subscriber = redis.Connection.GetSubscriber();
        var acmeChannel = RedisChannel.Literal(scope.Keys.TenantReplyPrefix("acme") + "test");
        var globexChannel = RedisChannel.Pattern(scope.Keys.TenantReplyPrefix("globex") + "*");
        var acmeQueue = await subscriber.SubscribeAsync(acmeChannel);
        acmeQueue.OnMessage(m => { var r = JsonDocument.Parse((byte[])m.Message!).RootElement.Clone(); replies[r.GetProperty("id").GetString()!] = r; });
        var globexQueue = await subscriber.SubscribeAsync(globexChannel);
        globexQueue.OnMessage(_ => Interlocked.Increment(ref heardOnGlobex));
        try
        {
            NameValueEntry[] Request(string id, string? token, string replyTo, string tenant = "acme")
            {
                var fields = new List<NameValueEntry>(Requests.Query(id, "bees queen hive volcano secret plan", replyTo, k: 5)) { new("tenant", tenant) };
                if (token is not null)
                {
                    fields.Add(new("token", token));
                }

                return fields.ToArray();
            }

            var queries = fleet.Misuses(TokenScope.Query);
            for (var i = 0; i < queries.Length; i++)
            {
                await db.StreamAddAsync(scope.Keys.QueryRequests, Request($"q{i}", queries[i].Token, acmeChannel.ToString()));
            }

            var acmeQuery = fleet.Issue("acme", TokenScope.Query);
            await db.StreamAddAsync(scope.Keys.QueryRequests, Request("valid", acmeQuery, acmeChannel.ToString()));
            await db.StreamAddAsync(scope.Keys.QueryRequests, Request("valid-k3", fleet.Issue("acme", TokenScope.Query, fleet.Next, "k3"), acmeChannel.ToString()));
            // A valid token, but the reply would go into globex's namespace, or outside any tenant's: never sent.
            await db.StreamAddAsync(scope.Keys.QueryRequests, Request("to-globex", acmeQuery, scope.Keys.TenantReplyPrefix("globex") + "spy"));
            await db.StreamAddAsync(scope.Keys.QueryRequests, Request("to-nobody", acmeQuery, $"{scope.Prefix}:reply:nobody"));
            // A request that breaks a contract rule: its error is answered in the fleet's reply namespace, and only there.
            await db.StreamAddAsync(scope.Keys.QueryRequests, [.. Request("bad-mode", null, acmeChannel.ToString()), new("mode", "poem")]);
            await db.StreamAddAsync(scope.Keys.QueryRequests, [.. Request("bad-mode-elsewhere", null, $"{scope.Prefix}:elsewhere"), new("mode", "poem")]);

            await EventuallyAsync(() => Task.FromResult(replies.Count >= queries.Length + 3), $"{queries.Length + 3} replies arrive", TimeSpan.FromSeconds(60), Output);
            await WaitDrainedAsync(db, scope.Keys.QueryRequests, scope.Keys.QueryGroup, TimeSpan.FromSeconds(30), Output);
            var heardOnGlobexBeforeClient = Volatile.Read(ref heardOnGlobex);

            // The .NET client with a token: the tenant's reply namespace, an answer of acme's documents only.
            await using var app = new StreamRagClient(redis.Connection, scope.Keys) { Token = acmeQuery };
            var viaClient = await app.QueryAsync("bees queen hive volcano secret plan", new Client.QueryOptions { Tenant = "acme", K = 5, Timeout = TimeSpan.FromSeconds(10) }, Ct);
            var clientRefused = await app.QueryAsync("volcano secret plan", new Client.QueryOptions { Tenant = "globex", K = 5, Timeout = TimeSpan.FromSeconds(10) }, Ct);

            // Watches: one in acme's own notification namespace (the client's default) is registered; one
            // notifying into globex's namespace is refused, so a tenant cannot write into another's streams.
            var ownWatch = await app.RegisterWatchAsync("bees in the hive", new WatchQueryOptions { Tenant = "acme", Threshold = 0.5 }, Ct);
            var spyWatch = await Assert.ThrowsAsync<WatchException>(() => app.RegisterWatchAsync("bees in the hive",
                new WatchQueryOptions { Tenant = "acme", Threshold = 0.5, NotifyTo = scope.Keys.TenantWatchStreamPrefix("globex") + "spy" }, Ct));
            Assert.StartsWith(scope.Keys.TenantWatchStreamPrefix("acme"), ownWatch.NotifyTo ?? "", StringComparison.Ordinal);
            Assert.Equal(ErrorCodes.Unauthorized, spyWatch.Code);
            Assert.Contains("watch namespace", spyWatch.Message, StringComparison.Ordinal);

            var deadQueries = await db.StreamRangeAsync(scope.Keys.QueryDeadLetters);
            var wrongQueries = queries.Select((q, i) => (q, Reply: replies.GetValueOrDefault($"q{i}")))
                .Where(x => x.Reply.ValueKind != JsonValueKind.Object || x.Reply.GetProperty("status").GetString() != "error"
                    || x.Reply.GetProperty("error").GetProperty("code").GetString() != ErrorCodes.Unauthorized
                    || !x.Reply.GetProperty("error").GetProperty("message").GetString()!.StartsWith(x.q.Reason, StringComparison.Ordinal))
                .Select(x => $"{x.q.Kind}: {x.Reply}")
                .ToList();
            var wrongWrites = writes.Select((w, i) => (w, Reason: documentReasons.GetValueOrDefault($"forged-{i}")))
                .Where(x => x.Reason is null || !x.Reason.StartsWith($"{ErrorCodes.Unauthorized}: {x.w.Reason}", StringComparison.Ordinal))
                .Select(x => $"{x.w.Kind}: {x.Reason ?? "not dead-lettered"}")
                .ToList();
            var ids = (JsonElement reply) => reply.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToArray();

            await report.WriteAsync(new FaultRow(
                "9 access (tokens)",
                "embedder and query worker processes with Security:Tokens:Mode=Required, two keys configured (k2 file, k3 inline), k1 rotated out",
                $"{queries.Length} forged or misused query tokens, {writes.Length} document-event tokens, 2 replies aimed outside the tenant's namespace, 1 malformed request aimed outside the fleet's",
                0,
                0,
                null,
                $"queries refused unauthorized as expected: {queries.Length - wrongQueries.Count}/{queries.Length}; writes dead-lettered unauthorized: {writes.Length - wrongWrites.Count}/{writes.Length}; forged documents written: {forgedWritten}; replies heard in globex's namespace: {heardOnGlobexBeforeClient}; query dead letters: {deadQueries.Length}"));

            Assert.True(wrongQueries.Count == 0, "queries not refused as expected:\n" + string.Join("\n", wrongQueries) + "\n" + Output());
            Assert.True(wrongWrites.Count == 0, "writes not refused as expected:\n" + string.Join("\n", wrongWrites) + "\n" + Output());
            Assert.Equal(0, forgedWritten);
            Assert.Equal(writes.Length, deadDocuments.Length);

            // Valid tokens: answered, with acme's documents only (globex's "plan" matches the words best).
            foreach (var id in new[] { "valid", "valid-k3" })
            {
                Assert.Equal("ok", replies[id].GetProperty("status").GetString());
                Assert.Equal(["bees"], ids(replies[id]));
            }

            Assert.Equal("ok", viaClient.Status);
            Assert.Equal(["bees"], viaClient.Results.Select(r => r.Id));
            Assert.Equal("error", clientRefused.Status);
            Assert.Equal(ErrorCodes.Unauthorized, clientRefused.Error?.Code);
            Assert.NotNull(await index.GetStateAsync("globex", "plan", Ct));
            Assert.True((await index.GetStateAsync("acme", "old", Ct))?.Deleted, "the delete with a write token took effect");

            Assert.Equal(ErrorCodes.InvalidField, replies["bad-mode"].GetProperty("error").GetProperty("code").GetString());

            // Replies aimed outside acme's namespace (or the fleet's): dead-lettered unauthorized, nothing heard there.
            Assert.Equal(3, deadQueries.Length);
            Assert.All(deadQueries, e => Assert.StartsWith($"{ErrorCodes.Unauthorized}: reply_to", (string?)e[DeadLetterFields.Reason], StringComparison.Ordinal));
            Assert.Equal(0, heardOnGlobexBeforeClient);
            Assert.False(embedder.HasExited || queryWorker.HasExited, Output());
        }
        finally
        {
            await acmeQueue.UnsubscribeAsync();
            await globexQueue.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task PerTenantAclUsers_TwoTenantsTwoAppsEach_HearOnlyTheirOwnReplies()
    {
        using var fleet = new TokenFleet();
        string[] roles = ["admin", "producer", "app", "embedder", "query", "sweeper", "monitor"];
        string[] tenants = ["acme", "globex"];
        var passwords = roles.Concat(tenants.Select(t => $"app-{t}")).ToDictionary(r => r, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var dir = Directory.CreateTempSubdirectory("streamrag-tenant-acl-").FullName;
        try
        {
            var aclFile = Path.Combine(dir, "users.acl");
            await RenderAclAsync(aclFile, passwords, tenants);
            await using var server = await RedisServerFixture.StartDedicatedAsync(["--aclfile", aclFile], $"user=admin,password={passwords["admin"]}");
            var keys = new Redis.KeySchema("rag", 1);
            var admin = server.Connection.GetDatabase();
            string As(string user) => $"{server.Configuration},user={user},password={passwords[user]}";
            var settings = new Dictionary<string, string?>
            {
                ["Redis:KeyPrefix"] = "rag",
                ["Index:Engine"] = "vectorset",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Metrics:PrometheusPort"] = "0",
            };
            foreach (var (key, value) in FastReclaim.Concat(fleet.Settings))
            {
                settings[key] = value;
            }

            await using var embedder = WorkerProcess.Start("Embedder", new Dictionary<string, string?>(settings) { ["Redis:Configuration"] = As("embedder") });
            await using var queryWorker = WorkerProcess.Start("Query", new Dictionary<string, string?>(settings) { ["Redis:Configuration"] = As("query") });
            string Output() => embedder.Output + queryWorker.Output;

            await using var producerConnection = await ConnectAsync(As("producer"));
            await using (var producer = new StreamRagClient(producerConnection, keys))
            {
                await producer.UpsertDocumentAsync(new DocumentUpsert("bees", 1, "Honeybees live in a hive ruled by a queen.") { Tenant = "acme", Token = fleet.Issue("acme", TokenScope.Write) }, Ct);
                await producer.UpsertDocumentAsync(new DocumentUpsert("plan", 1, "Globex secret plan: bees in the volcano lair.") { Tenant = "globex", Token = fleet.Issue("globex", TokenScope.Write) }, Ct);
            }

            await WaitDrainedAsync(admin, keys.DocumentEvents, keys.EmbedderGroup, TimeSpan.FromSeconds(60), Output);

            // Every reply the query worker publishes, by the tenant namespace it went to.
            var published = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            var all = await server.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Pattern("rag:reply:*"));
            all.OnMessage(m => published.AddOrUpdate(m.Channel.ToString().Split(':')[2], 1, (_, n) => n + 1));

            // Two apps per tenant, each its own connection as its tenant's ACL user, each with its tenant's query token.
            var apps = new List<(string Tenant, ConnectionMultiplexer Connection, StreamRagClient Client)>();
            foreach (var tenant in tenants)
            {
                for (var i = 0; i < 2; i++)
                {
                    var connection = await ConnectAsync(As($"app-{tenant}"));
                    apps.Add((tenant, connection, new StreamRagClient(connection, keys) { Token = fleet.Issue(tenant, TokenScope.Query) }));
                }
            }

            try
            {
                var answers = await Task.WhenAll(apps.Select(a =>
                    a.Client.QueryAsync("bees queen hive volcano secret plan", new Client.QueryOptions { Tenant = a.Tenant, K = 5, Timeout = TimeSpan.FromSeconds(10) }, Ct)));
                // An acme app asking for globex with its own token: refused, on a channel it may not even hear.
                var acme = apps[0];
                var crossing = await Assert.ThrowsAsync<RedisServerException>(() =>
                    acme.Client.QueryAsync("volcano secret plan", new Client.QueryOptions { Tenant = "globex", K = 5, Timeout = TimeSpan.FromSeconds(5) }, Ct));

                // What each tenant's user may and may not subscribe to, over a plain socket (SUBSCRIBE changes the connection's mode).
                var spying = new List<string>();
                foreach (var (tenant, other) in new[] { ("acme", "globex"), ("globex", "acme") })
                {
                    var user = $"app-{tenant}";
                    var answersOfSpy = await RawAsync(server.Port,
                        ["AUTH", user, passwords[user]],
                        ["SUBSCRIBE", $"rag:reply:{other}:someone"],
                        ["PSUBSCRIBE", "rag:reply:*"],
                        ["SUBSCRIBE", "rag:reply:someone"],
                        ["PUBLISH", $"rag:reply:{other}:someone", "{}"],
                        ["SUBSCRIBE", $"rag:reply:{tenant}:mine"]);
                    Assert.Equal("+OK", answersOfSpy[0]);
                    spying.AddRange(answersOfSpy[1..5].Where(r => !r.StartsWith("-NOPERM", StringComparison.Ordinal)).Select(r => $"{user}: {r}"));
                    Assert.Equal("*3", answersOfSpy[5]);
                }

                var results = answers.Select((r, i) => $"{apps[i].Tenant}: {r.Status} [{string.Join(",", r.Results.Select(x => x.Id))}]").ToArray();
                await report.WriteAsync(new FaultRow(
                    "9 access (per-tenant ACL users)",
                    "embedder and query worker processes as their ACL users, tokens required; 2 tenants × 2 apps, each as its tenant's ACL user (deploy/acl.sh acme globex)",
                    "each tenant's user tries to SUBSCRIBE to the other's reply channel, PSUBSCRIBE rag:reply:*, SUBSCRIBE outside any tenant, PUBLISH into the other's namespace; an acme app asks for globex",
                    0,
                    0,
                    null,
                    $"answers: {string.Join("; ", results)}; spying allowed: {spying.Count}; replies published per namespace: {string.Join(", ", published.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))}; cross-tenant ask: {crossing.Message.Split('\n')[0]}"));

                for (var i = 0; i < apps.Count; i++)
                {
                    Assert.Equal("ok", answers[i].Status);
                    Assert.Equal([apps[i].Tenant == "acme" ? "bees" : "plan"], answers[i].Results.Select(r => r.Id));
                }

                Assert.True(spying.Count == 0, string.Join("\n", spying));
                Assert.StartsWith("NOPERM", crossing.Message, StringComparison.Ordinal);
                Assert.False(embedder.HasExited || queryWorker.HasExited, Output());
            }
            finally
            {
                foreach (var app in apps)
                {
                    await app.Client.DisposeAsync();
                    await app.Connection.DisposeAsync();
                }

                await all.UnsubscribeAsync();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task RenderAclAsync(string path, IReadOnlyDictionary<string, string> passwords, string[] tenants)
    {
        var start = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(RedisServerFixture.RepositoryRoot(), "deploy", "acl.sh"), path, "rag", .. tenants]) { RedirectStandardError = true };
        foreach (var (user, password) in passwords)
        {
            start.Environment[$"STREAMRAG_ACL_{user.ToUpperInvariant().Replace('-', '_')}_PASSWORD"] = password;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"deploy/acl.sh failed: {errors}");
    }

    /// <summary>RESP commands on a fresh socket; each reply's first line.</summary>
    private static async Task<string[]> RawAsync(int port, params string[][] commands)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port, Ct);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var replies = new List<string>();
        foreach (var command in commands)
        {
            var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
            foreach (var arg in command)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), Ct);
            replies.Add(await reader.ReadLineAsync(Ct) ?? "");
        }

        return replies.ToArray();
    }
}
