using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Index.Search;

namespace StreamRag.CliTests;

/// <summary>ask, status, dlq, reindex / migrate, reshard against a live fleet.</summary>
public sealed class FleetCommandTests(RedisServerFixture redis) : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("streamrag-cli-");

    private async Task IngestAsync(TestScope scope, params (string Name, string Content)[] files)
    {
        foreach (var (name, content) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, name), content, TestContext.Current.CancellationToken);
        }

        var run = await Cli.RunAsync(scope, "ingest", folder.FullName, "--json");
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
    }

    [Fact]
    public async Task Ask_PrintsTheAnswerCitationsAndTimings()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await IngestAsync(scope, ("sweeper.md", "The retention sweeper deletes expired documents from the index on time."), ("monitor.md", "The monitor tunes the search effort within a latency budget."));

        var json = await Cli.RunAsync(scope, "ask", "Which host deletes expired documents?", "-k", "2", "--json");

        Assert.Equal(0, json.ExitCode);
        var reply = json.Json.GetProperty("reply");
        Assert.Equal("ok", reply.GetProperty("status").GetString());
        Assert.Equal("sweeper.md", reply.GetProperty("results")[0].GetProperty("id").GetString());
        Assert.Equal(2, reply.GetProperty("results").GetArrayLength());
        Assert.Contains("sweeper.md#0", reply.GetProperty("answer").GetProperty("citations").EnumerateArray().Select(c => c.GetString()));
        // The worker's total includes the time queued, measured from the request's stream id, which is
        // whole milliseconds (floored): on a fast round trip it can read up to 1 ms long.
        var roundTrip = json.Json.GetProperty("round_trip_ms").GetDouble();
        var workerTotal = reply.GetProperty("timings").GetProperty("total_ms").GetDouble();
        Assert.True(roundTrip + 1 >= workerTotal, $"round trip {roundTrip} ms, worker total {workerTotal} ms");
        // Each ask is the root of a trace of its own, which the worker continued.
        var traceId = reply.GetProperty("trace_id").GetString();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.NotEqual(new string('0', 32), traceId);

        var text = await Cli.RunAsync(scope, "ask", "Which host deletes expired documents?", "-k", "1", "--sources", "nowhere");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("no passage found", text.Output, StringComparison.Ordinal);
        var table = await Cli.RunAsync(scope, "ask", "Which host deletes expired documents?", "-k", "1");
        Assert.Contains("citations: sweeper.md#0", table.Output, StringComparison.Ordinal);
        var printed = System.Text.RegularExpressions.Regex.Match(table.Output, "trace ([0-9a-f]{32})");
        Assert.True(printed.Success, table.Output);
        Assert.NotEqual(traceId, printed.Groups[1].Value);
        Assert.Matches(@"round trip [0-9.]+ ms · worker [0-9.]+ ms \(queue [0-9.]+, embed [0-9.]+, search [0-9.]+\)", table.Output);
    }

    [Fact]
    public async Task Ask_WithoutQueryWorker_SaysSoInOneLine()
    {
        await using var scope = new TestScope(redis);

        var run = await Cli.RunAsync(scope, "ask", "anything", "--wait-fleet", "1s");

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("no query worker is running", Assert.Single(run.Error.TrimEnd().Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_ShowsIndexMemoryStreamsDeadLettersAlertsAndEf()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await IngestAsync(scope, ("a.md", "alpha text"), ("b.md", "beta text"));
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "bad"), new("version", 1), new("content", "x"), new("colour", "red")]);
        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters) == 1, "the bad event is dead-lettered");
        // What the monitor writes: the live EF, and a firing alert (state hash + alerts stream entry).
        await scope.Db.HashSetAsync(scope.Keys.Settings, SettingsFields.SearchEf, 77);
        var since = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await scope.Db.HashSetAsync(scope.Keys.AlertStates, $"consumer_lag|{scope.Keys.QueryRequests}/query-workers", $"firing|{since}|0");
        await scope.Db.StreamAddAsync(scope.Keys.Alerts,
        [
            new(AlertFields.Rule, "consumer_lag"), new(AlertFields.Subject, $"{scope.Keys.QueryRequests}/query-workers"), new(AlertFields.State, "firing"),
            new(AlertFields.Severity, "warning"), new(AlertFields.Summary, "Group 'query-workers' is 1500 entries behind"),
        ]);

        var json = await Cli.RunAsync(scope, "status", "--json");

        Assert.Equal(0, json.ExitCode);
        var status = json.Json;
        Assert.Equal("vectorset", status.GetProperty("index").GetProperty("engine").GetString());
        Assert.Equal(2, status.GetProperty("index").GetProperty("vectors").GetInt64());
        Assert.True(status.GetProperty("used_memory_bytes").GetInt64() > 0);
        Assert.Equal(77, status.GetProperty("search_ef").GetInt64());
        Assert.Equal(1, status.GetProperty("dead_letters").GetProperty(scope.Keys.DocumentDeadLetters.ToString()).GetInt64());
        var events = status.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("stream").GetString() == scope.Keys.DocumentEvents.ToString());
        Assert.Equal("embedders", events.GetProperty("group").GetProperty("name").GetString());
        Assert.Equal(1, events.GetProperty("group").GetProperty("live").GetInt32());
        Assert.Equal(0, events.GetProperty("group").GetProperty("pending").GetInt64());
        var alert = Assert.Single(status.GetProperty("alerts").EnumerateArray());
        Assert.Equal("consumer_lag", alert.GetProperty("rule").GetString());
        Assert.Equal("Group 'query-workers' is 1500 entries behind", alert.GetProperty("summary").GetString());

        var table = await Cli.RunAsync(scope, "status");
        Assert.Equal(0, table.ExitCode);
        Assert.Matches(@"search EF\s*│\s*77", table.Output);
        Assert.Contains("Group 'query-workers' is 1500 entries behind", table.Output, StringComparison.Ordinal);
        Assert.Matches(@"index size\s*│\s*2 passages", table.Output);
    }

    [Fact]
    public async Task Dlq_ListShowReplayAndPurge_BothStreams()
    {
        await using var scope = new TestScope(redis);
        var tooSmall = await scope.StartEmbedderAsync(("Embedder:MaxPassagesPerDocument", "1"), ("Chunking:Size", "8"), ("Chunking:Overlap", "0"));
        await scope.StartQueryWorkerAsync();
        var content = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"term{i}q"));
        var original = await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "long-doc"), new("version", 3), new("content", content), new("tags", "x,y")]);
        // A query request with no reply_to cannot be answered: it is dead-lettered.
        await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, [new("id", "q-1"), new("query", "hello")]);
        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters) == 1 && await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters) == 1, "both are dead-lettered");

        var list = await Cli.RunAsync(scope, "dlq", "list", "--json");
        Assert.Equal(0, list.ExitCode);
        var letters = list.Json.EnumerateArray().ToArray();
        Assert.Equal(2, letters.Length);
        var doc = letters.Single(l => l.GetProperty("stream").GetString() == "documents");
        Assert.Equal((string?)original, doc.GetProperty("original_id").GetString());
        Assert.StartsWith("too_large", doc.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("missing_field", letters.Single(l => l.GetProperty("stream").GetString() == "queries").GetProperty("reason").GetString(), StringComparison.Ordinal);
        var id = doc.GetProperty("id").GetString()!;
        var listed = await Cli.RunAsync(scope, "dlq", "list");
        Assert.Contains(id, listed.Output, StringComparison.Ordinal);
        Assert.Contains("long-doc", listed.Output, StringComparison.Ordinal);

        var show = await Cli.RunAsync(scope, "dlq", "show", id, "--stream", "documents");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("term39q", show.Output, StringComparison.Ordinal);
        Assert.Contains("too_large", show.Output, StringComparison.Ordinal);

        // Replay: the original fields, in order, back on the events stream; an embedder that allows
        // the document then indexes it.
        await tooSmall.StopAsync(TestContext.Current.CancellationToken);
        var replay = await Cli.RunAsync(scope, "dlq", "replay", id, "--stream", "documents");
        Assert.Equal(0, replay.ExitCode);
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
        var reposted = (await scope.Db.StreamRangeAsync(scope.Keys.DocumentEvents, "-", "+", 1, Order.Descending)).Single();
        Assert.Equal(["id", "version", "content", "tags"], reposted.Values.Select(v => (string)v.Name!).ToArray());
        Assert.Equal(content, (string?)reposted["content"]);
        Assert.Contains((string)reposted.Id!, replay.Output, StringComparison.Ordinal);
        await scope.StartEmbedderAsync(("Chunking:Size", "8"), ("Chunking:Overlap", "0"));
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "long-doc", TestContext.Current.CancellationToken) is { Version: 3 }, "the replayed document is indexed");
        var gone = await Cli.RunAsync(scope, "dlq", "replay", id, "--stream", "documents");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains($"no dead letter {id}", gone.Error, StringComparison.Ordinal);

        // Purge asks for --yes, then empties the stream.
        var refused = await Cli.RunAsync(scope, "dlq", "purge", "--stream", "queries");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("add --yes", refused.Error, StringComparison.Ordinal);
        Assert.Equal(1, await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters));
        var purged = await Cli.RunAsync(scope, "dlq", "purge", "--stream", "queries", "--yes");
        Assert.Equal(0, purged.ExitCode);
        Assert.Contains("purged 1 dead letter(s)", purged.Output, StringComparison.Ordinal);
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters));
    }

    [Fact]
    public async Task ReindexAndMigrate_RefuseOnAServerWithoutTheQueryEngine()
    {
        await using var scope = new TestScope(redis);
        if ((await SearchIndexAdmin.ProbeAsync(scope.Db)).Available)
        {
            Assert.Skip("the shared server has the Query Engine: the refusal is only observable on one without it");
        }

        var refused = await Cli.RunAsync(scope, "reindex");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("has no Query Engine", Assert.Single(refused.Error.TrimEnd().Split('\n')), StringComparison.Ordinal);
        Assert.Equal(1, (await Cli.RunAsync(scope, "migrate", "--index", "M=32")).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync(scope, "migrate", "--index", "NoSuchSetting=1")).ExitCode);
    }

    [Fact]
    public async Task ReindexAndMigrate_RunTheIndexAdminOperations()
    {
        // The shared server if it has the Query Engine (redis:8); else a local one with the module ./test.sh names.
        await using var moduleServer = (await SearchIndexAdmin.ProbeAsync(redis.Connection.GetDatabase())).Available ? null : await SearchModule.StartServerAsync();
        ITestRedisServer server = moduleServer is null ? redis : moduleServer;
        await using var scope = new TestScope(server);
        if (!(await SearchIndexAdmin.ProbeAsync(scope.Db)).Available)
        {
            Assert.Skip($"no Redis Query Engine (FT.*) server here: set {SearchModule.Variable} to a RediSearch module build for the local Redis, or run against redis:8");
        }

        Assert.Equal(3, (await Cli.RunAsync(scope, "reindex", "--check")).ExitCode);
        var created = await Cli.RunAsync(scope, "reindex");
        Assert.Equal(0, created.ExitCode);
        Assert.Contains("created:", created.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await Cli.RunAsync(scope, "reindex", "--check", "--index", "M=32")).ExitCode);
        var migrated = await Cli.RunAsync(scope, "migrate", "--index", "M=32");
        Assert.Equal(0, migrated.ExitCode);
        Assert.Equal(0, (await Cli.RunAsync(scope, "reindex", "--check", "--index", "M=32")).ExitCode);
        foreach (var name in (RedisResult[])(await scope.Db.ExecuteAsync("FT._LIST"))!)
        {
            if (((string?)name)?.StartsWith(scope.Prefix, StringComparison.Ordinal) == true)
            {
                await scope.Db.ExecuteAsync("FT.DROPINDEX", (string)name!);
            }
        }
    }

    [Fact]
    public async Task Reshard_ChangesTheShardCountUnderARunningFleet_AndSaysWhatItDid()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await IngestAsync(scope, ("sweeper.md", "The retention sweeper deletes expired documents from the index on time."), ("monitor.md", "The monitor tunes the search effort within a latency budget."));

        Assert.Equal(2, (await Cli.RunAsync(scope, "reshard")).ExitCode);
        var run = await Cli.RunAsync(scope, "reshard", "--to", "3");

        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Contains("1 -> 3 shards: 2 document(s) copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("nothing to do", (await Cli.RunAsync(scope, "reshard", "--to", "3")).Output, StringComparison.Ordinal);
        var layout = (await Cli.RunAsync(scope, "status", "--json")).Json.GetProperty("index").GetProperty("layout").GetString();
        Assert.Equal("layout 2: 3 shard(s) (generation 1)", layout);
        var ask = await Cli.RunAsync(scope, "ask", "Which host deletes expired documents?", "-k", "2", "--json");
        Assert.Equal("sweeper.md", ask.Json.GetProperty("reply").GetProperty("results")[0].GetProperty("id").GetString());
        Assert.Equal(2, ask.Json.GetProperty("reply").GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Reshard_RunAgainAfterAnInterruption_ResumesAndSaysSo_AndRefusesAThirdCount()
    {
        await using var scope = new TestScope(redis);
        await scope.Index().UpsertAsync(new IndexedDocument("default", "a", 1, "h-a", "wiki", DateTimeOffset.UnixEpoch, [], null, [new IndexedChunk(0, "text of a", Enumerable.Repeat(0.05f, 384).ToArray())]), TestContext.Current.CancellationToken);
        // What a `reshard --to 3` stopped mid-copy leaves: the next layout recorded.
        var steady = await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys);
        Assert.True(await IndexLayoutStore.ReplaceAsync(scope.Db, scope.Keys, steady, steady with { Number = steady.Number + 1, Next = new IndexLayout(steady.Current.Generation + 1, 3) }));

        var other = await Cli.RunAsync(scope, "reshard", "--to", "5");
        var resumed = await Cli.RunAsync(scope, "reshard", "--to", "3");

        Assert.Equal(1, other.ExitCode);
        Assert.Contains("run it again with 3 to finish it, or with 1 to roll it back", other.Error, StringComparison.Ordinal);
        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Error);
        Assert.Contains("resuming the change to 3 shards", resumed.Output, StringComparison.Ordinal);
        Assert.Contains("resumed: 1 -> 3 shards: 1 document(s) copied", resumed.Output, StringComparison.Ordinal);
    }

    public void Dispose() => folder.Delete(recursive: true);
}
