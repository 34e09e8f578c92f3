using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;

namespace StreamRag.IntegrationTests;

/// <summary>The query worker against a real Redis: each behaviour of issue 4 with a test that fails without it.</summary>
public sealed class QueryWorkerTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string Id, string Source, string Tags, string Tenant, string Content)[] Corpus =
    [
        ("bees", "wiki", "nature,insects", "default", "Honeybees live in a hive ruled by a queen; workers gather pollen and nectar."),
        ("wasps", "blog", "nature,insects", "default", "Wasps build paper nests and hunt other insects to feed their larvae."),
        ("lava", "wiki", "geology", "default", "Volcanoes erupt when magma rises through the crust; lava flows follow."),
        ("tea", "news", "culture", "default", "The Japanese tea ceremony prepares matcha with a bamboo whisk."),
        ("secret", "wiki", "internal", "acme", "Acme's secret plan: honeybees pollinate the new orchard."),
    ];

    private static Task<TestScope> StartFleetAsync(RedisServerFixture redis, params (string, string)[] queryOverrides) =>
        StartFleetAsync(redis, 1, queryOverrides);

    private static async Task<TestScope> StartFleetAsync(RedisServerFixture redis, int streamPartitions, params (string, string)[] queryOverrides)
    {
        var scope = new TestScope(redis, streamPartitions, "query");
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync(queryOverrides);
        foreach (var (id, source, tags, tenant, content) in Corpus)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEventsOf(tenant, id),
                [new("id", id), new("version", 1), new("source", source), new("tags", tags), new("tenant", tenant), new("content", content)]);
        }

        var index = scope.Index();
        foreach (var (id, _, _, tenant, _) in Corpus)
        {
            await TestScope.EventuallyAsync(async () => await index.GetStateAsync(tenant, id, Ct) is not null, $"{id} is indexed");
        }

        return scope;
    }

    /// <summary>Posts a raw request (as any language would) and returns the reply JSON.</summary>
    private static async Task<JsonElement> AskRawAsync(TestScope scope, params (string Name, RedisValue Value)[] fields)
    {
        var channel = $"{scope.Prefix}:raw:{Guid.NewGuid():N}";
        var replies = Channel.CreateUnbounded<string>();
        var subscription = await scope.Redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel));
        subscription.OnMessage(m => replies.Writer.TryWrite((string)m.Message!));
        try
        {
            var entries = fields.Select(f => new NameValueEntry(f.Name, f.Value)).ToList();
            if (!fields.Any(f => f.Name == "reply_to"))
            {
                entries.Add(new("reply_to", channel));
            }

            await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, entries.ToArray());
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            return JsonDocument.Parse(await replies.Reader.ReadAsync(timeout.Token)).RootElement.Clone();
        }
        finally
        {
            await subscription.UnsubscribeAsync();
        }
    }

    private static StreamRagClient Client(TestScope scope) => new(scope.Redis.Connection, scope.Keys);

    public static TheoryData<string, string[]> BadRequests => new()
    {
        { "empty_query", ["id=r", "query="] },
        { "empty_query", ["id=r", "query=  \t "] },
        { "too_large", ["id=r", "query=" + new string('q', 2001)] },
        { "k_out_of_range", ["id=r", "query=bees", "k=0"] },
        { "k_out_of_range", ["id=r", "query=bees", "k=-1"] },
        { "k_out_of_range", ["id=r", "query=bees", "k=1000000"] },
        { "k_out_of_range", ["id=r", "query=bees", "k=abc"] },
        { "unknown_filter", ["id=r", "query=bees", "filters={\"author\":[\"x\"]}"] },
        { "bad_json", ["id=r", "query=bees", "filters={\"sources\":"] },
        { "bad_json", ["id=r", "query=bees", "filters=" + new string('[', 100) + new string(']', 100)] },
        // A lone surrogate escape: valid JSON syntax, but reading the string threw out of the parser (found by ParserFuzzTests).
        { "bad_json", ["id=r", "query=bees", "filters={\"sources\":[\"\\ud800\"]}"] },
        { "invalid_field", ["id=r", "query=bees", "filters={\"sources\":[\"wiki\\\" or .source != \\\"x\"]}"] },
        { "invalid_field", ["id=r", "query=bees", "filters={\"tags_any\":[\"a)\"]}"] },
        { "invalid_field", ["id=r", "query=bees", "tenant=acme\" or 1"] },
        { "invalid_field", ["id=r", "query=bees", "mode=poem"] },
        { "invalid_field", ["id=r", "query=bees", "ef=-5"] },
        { "invalid_field", ["id=r", "query=bees", "deadline=tomorrow"] },
        { "unknown_field", ["id=r", "query=bees", "temperature=0.2"] },
        { "unsupported_version", ["v=7", "id=r", "query=bees"] },
        { "missing_field", ["query=bees"] },
        { "deadline_exceeded", ["id=r", "query=bees", "deadline=1000"] },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_GetsStructuredErrorReply_AndWorkerKeepsServing(string code, string[] fields)
    {
        await using var scope = await StartFleetAsync(redis);

        var reply = await AskRawAsync(scope, fields.Select(f => (f[..f.IndexOf('=', StringComparison.Ordinal)], (RedisValue)f[(f.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToArray());

        Assert.Equal("error", reply.GetProperty("status").GetString());
        Assert.Equal(code, reply.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(0, reply.GetProperty("results").GetArrayLength());

        var good = await AskRawAsync(scope, ("id", "after"), ("query", "queen bee hive"));
        Assert.True(good.GetProperty("status").GetString() == "ok", good.ToString());
    }

    [Fact]
    public async Task InvalidUtf8Query_GetsErrorReply()
    {
        await using var scope = await StartFleetAsync(redis);

        var reply = await AskRawAsync(scope, ("id", "r"), ("query", new byte[] { 0x62, 0xff, 0x65 }));

        Assert.Equal("invalid_utf8", reply.GetProperty("error").GetProperty("code").GetString());
    }

    /// <summary>
    /// Issue 12, defect 2 on the request stream: an explicit id past year 9999 made the queue time
    /// throw, and every later <c>*</c> id is past it too: no request was answered again.
    /// </summary>
    [Fact]
    public async Task StreamIdPastYear9999_ThatRequestAndEveryLaterOneAreAnswered_QueueTimeOmitted()
    {
        await using var scope = await StartFleetAsync(redis);
        var channel = $"{scope.Prefix}:far-future";
        var replies = Channel.CreateUnbounded<string>();
        var subscription = await scope.Redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel));
        subscription.OnMessage(m => replies.Writer.TryWrite((string)m.Message!));

        await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, [new("id", "q0"), new("query", "queen bee hive"), new("reply_to", channel)], messageId: "253402300800000-0");
        for (var i = 1; i <= 3; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, [new("id", $"q{i}"), new("query", "queen bee hive"), new("k", 1), new("reply_to", channel)]);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var answered = new List<JsonElement>();
        while (answered.Count < 4)
        {
            answered.Add(JsonDocument.Parse(await replies.Reader.ReadAsync(timeout.Token)).RootElement.Clone());
        }

        await subscription.UnsubscribeAsync();
        Assert.Equal(["q0", "q1", "q2", "q3"], answered.Select(r => r.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        Assert.All(answered, r => Assert.Equal("ok", r.GetProperty("status").GetString()));
        Assert.All(answered, r => Assert.Equal("bees", r.GetProperty("results")[0].GetProperty("id").GetString()));
        Assert.All(answered, r => Assert.False(r.GetProperty("timings").TryGetProperty("queue_ms", out _), "the queue time of such an id is unknown"));
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters));
    }

    [Fact]
    public async Task MissingReplyChannel_IsDeadLettered()
    {
        await using var scope = await StartFleetAsync(redis);

        await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, [new("id", "lost"), new("query", "bees")]);

        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters) == 1, "the request is dead-lettered");
        var dead = (await scope.Db.StreamRangeAsync(scope.Keys.QueryDeadLetters)).Single();
        Assert.Equal("lost", (string?)dead["id"]);
        Assert.StartsWith("missing_field", (string?)dead[DeadLetterFields.Reason], StringComparison.Ordinal);
    }

    [Fact]
    [ClusterScenario]
    public async Task Filters_RunInTheEngine_AndInjectionMatchesNothingExtra()
    {
        await using var scope = await StartFleetAsync(redis);
        await using var client = Client(scope);

        var wikiOnly = await client.QueryAsync("insects nests pollen", new QueryOptions { K = 5, Filters = QueryFilters.None with { Sources = ["wiki"] } }, Ct);
        Assert.Equal("ok", wikiOnly.Status);
        Assert.NotEmpty(wikiOnly.Results);
        Assert.All(wikiOnly.Results, r => Assert.Equal("wiki", r.Source));

        var insects = await client.QueryAsync("insects", new QueryOptions { K = 5, Filters = QueryFilters.None with { TagsAll = ["nature", "insects"] } }, Ct);
        Assert.Equal(["bees", "wasps"], insects.Results.Select(r => r.Id).Order());

        // A value crafted to close the string literal and widen the filter is refused outright.
        var injected = await AskRawAsync(scope, ("id", "inj"), ("query", "bees"), ("filters", """{"sources":["nothing\" or .source == \"wiki"]}"""));
        Assert.Equal("invalid_field", injected.GetProperty("error").GetProperty("code").GetString());
        var nothing = await client.QueryAsync("bees", new QueryOptions { Filters = QueryFilters.None with { Sources = ["no-such-source"] } }, Ct);
        Assert.Empty(nothing.Results);
    }

    [Fact]
    [ClusterScenario]
    public async Task Watches_NotifyEachTenantOfItsOwnMatchingPassages_Only()
    {
        // On a cluster each tenant's watch keys and each notification stream hash to slots of their own.
        await using var scope = await StartFleetAsync(redis);
        await using var client = Client(scope);
        const string question = "honeybee queen lays eggs in the hive";
        var desks = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["default"] = scope.Keys.TenantWatchStreamPrefix("default") + "desk",
            ["acme"] = scope.Keys.TenantWatchStreamPrefix("acme") + "desk",
        };
        foreach (var (tenant, notifyTo) in desks)
        {
            await client.RegisterWatchAsync(question, new WatchQueryOptions { Threshold = 0.75, Tenant = tenant, NotifyTo = notifyTo }, Ct);
        }

        var posted = new (string Tenant, string Id, string Content)[]
        {
            ("default", "queen-default", "the honeybee queen lays eggs in the hive every spring"),
            ("acme", "queen-acme", "a honeybee queen lays eggs in the hive"),
            ("default", "magma", "volcanoes erupt when magma rises to the surface"),
        };
        foreach (var (tenant, id, content) in posted)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEventsOf(tenant, id), [new("id", id), new("version", 1), new("tenant", tenant), new("content", content)]);
        }

        var index = scope.Index();
        foreach (var (tenant, id, _) in posted)
        {
            await TestScope.EventuallyAsync(async () => await index.GetStateAsync(tenant, id, Ct) is not null, $"{id} is indexed");
        }

        // Matching runs before the write, so every notification is in once the passages are indexed.
        Assert.Equal(["queen-default"], (await scope.Db.StreamRangeAsync(desks["default"])).Select(e => (string?)e[WatchNotificationFields.DocumentId]));
        Assert.Equal(["queen-acme"], (await scope.Db.StreamRangeAsync(desks["acme"])).Select(e => (string?)e[WatchNotificationFields.DocumentId]));
    }

    [Fact]
    [ClusterScenario]
    public async Task Tenants_AreIsolated()
    {
        await using var scope = await StartFleetAsync(redis);
        await using var client = Client(scope);

        var acme = await client.QueryAsync("secret orchard honeybees", new QueryOptions { K = 10, Tenant = "acme" }, Ct);
        var others = await client.QueryAsync("secret orchard honeybees", new QueryOptions { K = 10 }, Ct);
        var unknown = await client.QueryAsync("secret orchard honeybees", new QueryOptions { K = 10, Tenant = "globex" }, Ct);

        Assert.Equal(["secret"], acme.Results.Select(r => r.Id));
        Assert.DoesNotContain(others.Results, r => r.Id == "secret");
        Assert.Empty(unknown.Results);
    }

    [Fact]
    [ClusterScenario]
    public async Task Cache_HitsOnRepeat_AndAnyIndexChangeInvalidatesIt()
    {
        await using var scope = await StartFleetAsync(redis);
        await using var client = Client(scope);

        var first = await client.QueryAsync("Bees  and their QUEEN", cancellationToken: Ct);
        var second = await client.QueryAsync("bees and their queen", cancellationToken: Ct);
        Assert.Equal(("miss", "hit"), (first.Cache, second.Cache));
        Assert.Equal(first.Results.Select(r => r.Id), second.Results.Select(r => r.Id));

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "queen"), new("version", 1), new("content", "The queen bee lays every egg of the colony; bees feed the queen.")]);
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "queen", Ct) is not null, "the new document is indexed");

        var third = await client.QueryAsync("bees and their queen", cancellationToken: Ct);
        Assert.Equal("miss", third.Cache);
        Assert.Equal("queen", third.Results[0].Id);
    }

    [Fact]
    public async Task SemanticCache_AnswersANearIdenticalQuestion()
    {
        await using var scope = await StartFleetAsync(redis, ("Query:SemanticCache", "true"), ("Query:SemanticCacheSimilarity", "0.97"));
        await using var client = Client(scope);

        // Different text (so the exact cache misses), the same meaning to the embedder.
        var first = await client.QueryAsync("honeybees queen hive pollen nectar", cancellationToken: Ct);
        var second = await client.QueryAsync("Honeybees: queen, hive, pollen & nectar?", cancellationToken: Ct);
        var unrelated = await client.QueryAsync("volcano magma lava", cancellationToken: Ct);

        Assert.Equal(("miss", "hit", "miss"), (first.Cache, second.Cache, unrelated.Cache));
    }

    [Fact]
    public async Task ConcurrentRequests_AreAllAnsweredAndCorrelated()
    {
        await using var scope = await StartFleetAsync(redis, ("Query:CacheEntries", "0"));
        await using var client = Client(scope);
        var questions = new (string Query, string Expected)[]
        {
            ("queen bee pollen nectar hive", "bees"),
            ("paper nests larvae wasps", "wasps"),
            ("magma volcano lava crust", "lava"),
            ("matcha whisk tea ceremony", "tea"),
        };

        var asks = Enumerable.Range(0, 200).Select(i => questions[i % questions.Length])
            .Select(async q => (q.Expected, Reply: await client.QueryAsync(q.Query, new QueryOptions { K = 1, Timeout = TimeSpan.FromSeconds(20) }, Ct)))
            .ToArray();
        var answers = await Task.WhenAll(asks);

        Assert.All(answers, a =>
        {
            Assert.Equal("ok", a.Reply.Status);
            Assert.Equal(a.Expected, Assert.Single(a.Reply.Results).Id);
        });
        Assert.Equal(200, answers.Select(a => a.Reply.Id).Distinct().Count());
    }

    [Fact]
    public async Task AnswerMode_CitesTheRetrievedChunks()
    {
        await using var scope = await StartFleetAsync(redis);
        await using var client = Client(scope);

        var reply = await client.QueryAsync("What does the queen bee rule?", new QueryOptions { K = 2, Mode = QueryMode.Answer }, Ct);

        Assert.NotNull(reply.Answer);
        Assert.Equal("bees#0", reply.Answer.Citations[0]);
        Assert.Contains("[bees#0]", reply.Answer.Text, StringComparison.Ordinal);
        Assert.All(reply.Answer.Citations, c => Assert.Contains(reply.Results, r => $"{r.Id}#{r.Chunk}" == c));
    }

    [Fact]
    public async Task EveryQuery_IsRecordedOnTheMetricsStream_WithRecallSamples()
    {
        await using var scope = await StartFleetAsync(redis, ("Query:RecallSampleRate", "1"));
        await using var client = Client(scope);

        // One posting (no re-post of a slow reply): the test counts what each posting records.
        await client.QueryAsync("queen bee", new QueryOptions { K = 2, MaxAttempts = 1 }, Ct);
        await AskRawAsync(scope, ("id", "bad"), ("query", "x"), ("k", "0"));

        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(scope.Keys.QueryMetrics) >= 2, "both queries are recorded");
        var entries = await scope.Db.StreamRangeAsync(scope.Keys.QueryMetrics);
        var ok = entries.Single(e => e[QueryMetricsFields.Status] == "ok");
        Assert.Equal(2, (int)ok[QueryMetricsFields.K]);
        Assert.Equal(384 * 4, ((byte[])ok[QueryMetricsFields.Vector]!).Length);
        Assert.StartsWith("bees#0", (string?)ok[QueryMetricsFields.ResultIds], StringComparison.Ordinal);
        Assert.Contains(entries, e => e[QueryMetricsFields.ErrorCode] == "k_out_of_range");
    }

    [Fact]
    public async Task PublishedSearchEf_IsPickedUpWithoutRestart()
    {
        await using var scope = await StartFleetAsync(redis, ("Query:SettingsRefresh", "00:00:00.100"), ("Query:CacheEntries", "0"));
        await using var client = Client(scope);

        await scope.Db.HashSetAsync(scope.Keys.Settings, SettingsFields.SearchEf, 17);
        await TestScope.EventuallyAsync(async () =>
        {
            await client.QueryAsync("bees", cancellationToken: Ct);
            var last = (await scope.Db.StreamRangeAsync(scope.Keys.QueryMetrics, "-", "+", 1, Order.Descending)).SingleOrDefault();
            return !last.IsNull && (int)last[QueryMetricsFields.Ef] == 17;
        }, "queries run with the published EF");
    }

    [Fact]
    public async Task FusionRerank_FavoursRecentDocuments()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync(("Query:Rerank", "Fusion"), ("Query:SimilarityWeight", "0.2"), ("Query:RecencyWeight", "1"), ("Query:LengthWeight", "0"));
        var old = DateTimeOffset.UtcNow.AddYears(-3).ToUnixTimeMilliseconds();
        var recent = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "old"), new("version", 1), new("timestamp", old), new("content", "bees honey hive queen")]);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "new"), new("version", 1), new("timestamp", recent), new("content", "bees honey report")]);
        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", "new", Ct) is not null && await index.GetStateAsync("default", "old", Ct) is not null, "indexed");
        await using var client = Client(scope);

        var reply = await client.QueryAsync("bees honey hive queen", new QueryOptions { K = 2 }, Ct);

        Assert.Equal(["new", "old"], reply.Results.Select(r => r.Id));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [ClusterScenario]
    public async Task ForeignClient_PythonRedis_UsesTheDocumentedContract(int streamPartitions)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            Assert.Skip("Debian's /usr/bin/python3 is not installed (deploy/tools.sh installs it with python3-redis)");
        }

        using (var probe = Process.Start(new ProcessStartInfo(python, ["-c", "import redis"]) { RedirectStandardError = true })!)
        {
            await probe.WaitForExitAsync(Ct);
            if (probe.ExitCode != 0)
            {
                Assert.Skip("Debian's python3-redis is not installed (deploy/tools.sh installs it)");
            }
        }

        await using var scope = await StartFleetAsync(redis, streamPartitions);
        // One seed node is enough, on a cluster too: the client discovers the others.
        var endpoint = ConfigurationOptions.Parse(redis.Configuration).EndPoints[0] as System.Net.DnsEndPoint;
        var ip = ConfigurationOptions.Parse(redis.Configuration).EndPoints[0] as System.Net.IPEndPoint;
        var (host, port) = endpoint is not null ? (endpoint.Host, endpoint.Port) : (ip!.Address.ToString(), ip.Port);
        var script = Path.Combine(RedisServerFixture.RepositoryRoot(), "tests", "clients", "python_client.py");
        var start = new ProcessStartInfo(python, [script, host, port.ToString(System.Globalization.CultureInfo.InvariantCulture), scope.Prefix])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var errors = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        Assert.True(process.ExitCode == 0, $"python client failed:\n{output}\n{errors}");
        Assert.Contains("OK bees", output, StringComparison.Ordinal);
        Assert.Contains("ERROR k_out_of_range", output, StringComparison.Ordinal);
    }
}

public sealed class QueryByVectorTests(RedisServerFixture redis)
{
    [Fact]
    public async Task ReadyVector_IsSearchedWithoutEmbedding_AndAWrongDimensionIsAnError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "bees"), new("version", 1), new("content", "queen bee hive pollen")]);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "lava"), new("version", 1), new("content", "volcano magma lava")]);
        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", "lava", ct) is not null && await index.GetStateAsync("default", "bees", ct) is not null, "indexed");
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);

        var reply = await client.QueryAsync(TestScope.Embedder.Embed("magma volcano"), new QueryOptions { K = 1 }, ct);
        var wrong = await client.QueryAsync(new float[12], new QueryOptions { K = 1 }, ct);

        Assert.Equal("lava", Assert.Single(reply.Results).Id);
        Assert.Equal(("error", "invalid_field"), (wrong.Status, wrong.Error!.Code));
    }
}
