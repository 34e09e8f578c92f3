namespace StreamRag.CliTests;

public sealed class IngestCommandTests(RedisServerFixture redis) : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("streamrag-cli-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Write(string relative, string content)
    {
        var path = Path.Combine(folder.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Ingest_MakesFilesSearchable_AndReRunSkipsUnchangedThroughTheLedger()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        Write("intro.md", "# Intro\nStreamRag keeps documents searchable in Redis vector sets.");
        Write("sub/notes.txt", "The sweeper removes expired documents on time.");
        Write("batch.jsonl", """
            {"id": "j-1", "content": "Query workers answer questions from the stream.", "source": "wiki", "tags": ["a", "b"]}

            {"content": "A line without an id takes its place as the id.", "tags": "c"}
            """);
        File.WriteAllText(Path.Combine(folder.FullName, "ignored.pdf"), "not read");

        var first = await Cli.RunAsync(scope, "ingest", folder.FullName, "--tags", "cli-test", "--json");

        Assert.Equal(0, first.ExitCode);
        var summary = first.Json;
        Assert.Equal(3, summary.GetProperty("files").GetInt32());
        Assert.Equal(4, summary.GetProperty("total").GetInt32());
        Assert.Equal(4, summary.GetProperty("posted").GetInt32());
        Assert.Equal(4, summary.GetProperty("searchable").GetInt32());
        Assert.True(summary.GetProperty("passages").GetInt64() >= 4);
        Assert.True(summary.GetProperty("passages_per_second").GetDouble() > 0);
        // Ids from the path, relative to the folder given; metadata from the options and the lines.
        var index = scope.Index();
        Assert.NotNull(await index.GetStateAsync("default", "intro.md", Ct));
        Assert.NotNull(await index.GetStateAsync("default", "sub/notes.txt", Ct));
        Assert.NotNull(await index.GetStateAsync("default", "batch.jsonl:3", Ct));
        var j1 = scope.Keys.PartitionOf("default", "j-1").Document("j-1");
        Assert.Equal("wiki", (string?)await scope.Db.HashGetAsync(j1, "source"));
        Assert.Equal("cli-test,a,b", (string?)await scope.Db.HashGetAsync(j1, "tags"));
        Assert.Equal("cli", (string?)await scope.Db.HashGetAsync(scope.Keys.PartitionOf("default", "intro.md").Document("intro.md"), "source"));

        var again = (await Cli.RunAsync(scope, "ingest", folder.FullName, "--tags", "cli-test", "--json")).Json;
        Assert.Equal(4, again.GetProperty("skipped").GetInt32());
        Assert.Equal(0, again.GetProperty("posted").GetInt32());

        // A changed file, changed options, or a document deleted from the index is posted again.
        var before = (await index.GetStateAsync("default", "intro.md", Ct))!.Version;
        Write("intro.md", "# Intro\nNow about something else entirely.");
        await scope.Db.KeyDeleteAsync(scope.Keys.PartitionOf("default", "j-1").Document("j-1"));
        var third = await Cli.RunAsync(scope, "ingest", folder.FullName, "--tags", "cli-test");
        Assert.Equal(0, third.ExitCode);
        Assert.Contains("passages/s", third.Output, StringComparison.Ordinal);
        Assert.Matches(@"posted\s*│\s*2\s", third.Output);
        Assert.Matches(@"unchanged \(skipped\)\s*│\s*2\s", third.Output);
        Assert.True((await index.GetStateAsync("default", "intro.md", Ct))!.Version > before);
    }

    [Fact]
    public async Task Ingest_ReportsDeadLettersWithReasons_AndRefusesInvalidEntriesBeforePosting()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Embedder:MaxPassagesPerDocument", "2"), ("Chunking:Size", "8"), ("Chunking:Overlap", "0"));
        var words = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"word{i}x"));
        Write("big.md", words);
        Write("ok.md", "short and fine");
        Write("bad.jsonl", """
            {"id": "has space tag", "content": "text", "tags": ["not ok"]}
            {"id": "x", "colour": "red", "content": "text"}
            """);

        var run = await Cli.RunAsync(scope, "ingest", folder.FullName, "--json");

        Assert.Equal(1, run.ExitCode);
        var summary = run.Json;
        Assert.Equal(1, summary.GetProperty("searchable").GetInt32());
        Assert.Equal(1, summary.GetProperty("dead_lettered").GetInt32());
        Assert.Equal(2, summary.GetProperty("rejected").GetInt32());
        var failures = summary.GetProperty("failures").EnumerateArray().ToArray();
        var dead = Assert.Single(failures, f => f.GetProperty("dead_letter_id").ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.Equal("big.md", dead.GetProperty("id").GetString());
        Assert.StartsWith("too_large", dead.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains(failures, f => f.GetProperty("reason").GetString()!.StartsWith("invalid_field", StringComparison.Ordinal) && f.GetProperty("origin").GetString() == "bad.jsonl:1");
        Assert.Contains(failures, f => f.GetProperty("reason").GetString()!.Contains("unknown field 'colour'", StringComparison.Ordinal));
        // Refused entries were never posted: only two events reached the stream.
        Assert.Equal(1, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
    }

    [Fact]
    public async Task Ingest_WithoutEmbedder_WaitsBoundedThenSaysSoInOneLine()
    {
        await using var scope = new TestScope(redis);
        Write("a.md", "text");

        var run = await Cli.RunAsync(scope, "ingest", folder.FullName, "--wait-fleet", "1s");

        Assert.Equal(4, run.ExitCode);
        var line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.Contains("no embedder is running", line, StringComparison.Ordinal);
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentEvents));
    }

    [Fact]
    public async Task Ingest_CtrlC_StopsCleanlyWithAPartialSummary()
    {
        await using var scope = new TestScope(redis);
        // A consumer that reads and never acknowledges: the fleet looks alive, nothing becomes searchable.
        await scope.Db.StreamCreateConsumerGroupAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, "0-0", createStream: true);
        await scope.Db.StreamReadGroupAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, "stuck", ">", 1);
        for (var i = 0; i < 5; i++)
        {
            Write($"doc{i}.md", $"document number {i}");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = Cli.RunAsync(scope, stop.Token, "ingest", folder.FullName);
        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(scope.Keys.DocumentEvents) == 5, "the documents are posted");
        stop.Cancel();
        var run = await running;

        Assert.Equal(130, run.ExitCode);
        Assert.Matches(@"posted\s*│\s*5\s", run.Output);
        Assert.Matches(@"not yet searchable\s*│\s*5\s", run.Output);
        Assert.Contains("not yet searchable when the run was stopped", run.Output, StringComparison.Ordinal);
        Assert.Contains("stopped", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_BadPath_IsAUsageError()
    {
        await using var scope = new TestScope(redis);

        var run = await Cli.RunAsync(scope, "ingest", Path.Combine(folder.FullName, "missing"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no such file or folder", Assert.Single(run.Error.TrimEnd().Split('\n')), StringComparison.Ordinal);
    }

    public void Dispose() => folder.Delete(recursive: true);
}
