using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using StreamRag.Contracts;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 7: malformed document events and query requests of many kinds, all at once, between
/// good ones. Each bad entry gets a clear error reply or a dead-letter entry whose reason starts with
/// the expected code; the same worker processes keep serving the good ones.
/// </summary>
public sealed class BadInputTests(RedisServerFixture redis, FaultReport report)
{
    private static readonly byte[] InvalidUtf8 = [0x62, 0xff, 0xfe, 0x65];

    /// <summary>Kind, fields, and the code its dead-letter reason must start with.</summary>
    private static readonly (string Kind, NameValueEntry[] Fields, string Code)[] BadDocuments =
    [
        ("missing id", [new("version", 1), new("content", "x")], "missing_field"),
        ("missing version", [new("id", "a"), new("content", "x")], "missing_field"),
        ("version not a number", [new("id", "a"), new("version", "one"), new("content", "x")], "invalid_field"),
        ("version with a decimal point", [new("id", "a"), new("version", "1.5"), new("content", "x")], "invalid_field"),
        ("negative version", [new("id", "a"), new("version", "-1"), new("content", "x")], "invalid_field"),
        ("absurd version (over 64 bits)", [new("id", "a"), new("version", "99999999999999999999999"), new("content", "x")], "invalid_field"),
        ("version beyond 2^53", [new("id", "a"), new("version", "9007199254740993"), new("content", "x")], "invalid_field"),
        ("id with a control character", [new("id", "a\u0007b"), new("version", 1), new("content", "x")], "invalid_field"),
        ("id with '#'", [new("id", "a#1"), new("version", 1), new("content", "x")], "invalid_field"),
        ("id of 300 characters", [new("id", new string('i', 300)), new("version", 1), new("content", "x")], "invalid_field"),
        ("id not UTF-8", [new("id", InvalidUtf8), new("version", 1), new("content", "x")], "invalid_utf8"),
        ("content not UTF-8", [new("id", "a"), new("version", 1), new("content", InvalidUtf8)], "invalid_utf8"),
        ("huge content (1,000,001 bytes)", [new("id", "a"), new("version", 1), new("content", new string('x', 1_000_001))], "too_large"),
        ("blank content", [new("id", "a"), new("version", 1), new("content", " \t ")], "missing_field"),
        ("unknown field", [new("id", "a"), new("version", 1), new("content", "x"), new("colour", "red")], "unknown_field"),
        ("huge unknown field name (10 kB)", [new("id", "a"), new("version", 1), new("content", "x"), new(new string('f', 10_000), "v")], "unknown_field"),
        ("field given twice", [new("id", "a"), new("id", "b"), new("version", 1), new("content", "x")], "invalid_field"),
        ("unknown operation", [new("op", "truncate"), new("id", "a"), new("version", 1)], "invalid_field"),
        ("unsupported contract version", [new("v", 2), new("id", "a"), new("version", 1), new("content", "x")], "unsupported_version"),
        ("filter injection in source", [new("id", "a"), new("version", 1), new("content", "x"), new("source", "wiki\" or 1 or \"")], "invalid_field"),
        ("key injection in tenant", [new("id", "a"), new("version", 1), new("content", "x"), new("tenant", "x}:{docs")], "invalid_field"),
        ("33 tags", [new("id", "a"), new("version", 1), new("content", "x"), new("tags", string.Join(',', Enumerable.Range(0, 33).Select(i => $"t{i}")))], "invalid_field"),
        ("tag with an escape character", [new("id", "a"), new("version", 1), new("content", "x"), new("tags", "ok,\u001b[31mred")], "invalid_field"),
        ("both ttl and expires_at", [new("id", "a"), new("version", 1), new("content", "x"), new("ttl", 60), new("expires_at", "2030-01-01T00:00:00Z")], "invalid_field"),
        ("negative ttl", [new("id", "a"), new("version", 1), new("content", "x"), new("ttl", "-5")], "invalid_field"),
        ("timestamp of the wrong type", [new("id", "a"), new("version", 1), new("content", "x"), new("timestamp", "true")], "invalid_field"),
        ("impossible date", [new("id", "a"), new("version", 1), new("content", "x"), new("expires_at", "2025-13-45T99:00:00Z")], "invalid_field"),
    ];

    /// <summary>Kind, fields (reply_to is added unless given), and the error code of the reply, or "dead-letter".</summary>
    private static (string Kind, NameValueEntry[] Fields, string Expected)[] BadRequests() =>
    [
        ("k = 0", [new("id", "r"), new("query", "bees"), new("k", 0)], "k_out_of_range"),
        ("negative k", [new("id", "r"), new("query", "bees"), new("k", -5)], "k_out_of_range"),
        ("absurd k (over 64 bits)", [new("id", "r"), new("query", "bees"), new("k", "99999999999999999999")], "k_out_of_range"),
        ("k of the wrong type", [new("id", "r"), new("query", "bees"), new("k", "3.0")], "k_out_of_range"),
        ("empty query", [new("id", "r"), new("query", "")], "empty_query"),
        ("query of 2,001 characters", [new("id", "r"), new("query", new string('q', 2001))], "too_large"),
        ("huge field (65,537 bytes)", [new("id", "r"), new("query", "bees"), new("mode", new string('m', 65_537))], "too_large"),
        ("query not UTF-8", [new("id", "r"), new("query", InvalidUtf8)], "invalid_utf8"),
        ("query with control characters", [new("id", "r"), new("query", "bees\u0000\u001b[2J")], "invalid_field"),
        ("request id with a control character", [new("id", "r\u0000"), new("query", "bees")], "invalid_field"),
        ("request id given twice", [new("id", "r"), new("id", "s"), new("query", "bees")], "invalid_field"),
        ("unknown field", [new("id", "r"), new("query", "bees"), new("temperature", "0.2")], "unknown_field"),
        ("unsupported contract version", [new("v", 9), new("id", "r"), new("query", "bees")], "unsupported_version"),
        ("unknown mode", [new("id", "r"), new("query", "bees"), new("mode", "poem")], "invalid_field"),
        ("ef = 0", [new("id", "r"), new("query", "bees"), new("ef", 0)], "invalid_field"),
        ("absurd ef", [new("id", "r"), new("query", "bees"), new("ef", 100_000)], "invalid_field"),
        ("deadline of the wrong type", [new("id", "r"), new("query", "bees"), new("deadline", "tomorrow")], "invalid_field"),
        ("deadline passed", [new("id", "r"), new("query", "bees"), new("deadline", 1000)], "deadline_exceeded"),
        ("filters not JSON", [new("id", "r"), new("query", "bees"), new("filters", "{\"sources\":")], "bad_json"),
        ("filters a JSON array", [new("id", "r"), new("query", "bees"), new("filters", "[1,2]")], "bad_json"),
        ("JSON bomb: 30,000 levels deep", [new("id", "r"), new("query", "bees"), new("filters", new string('[', 30_000) + new string(']', 30_000))], "bad_json"),
        ("JSON bomb: 6,000 filter values", [new("id", "r"), new("query", "bees"), new("filters", "{\"tags_any\":[" + string.Join(',', Enumerable.Repeat("\"a\"", 6_000)) + "]}")], "too_large"),
        ("filters not UTF-8", [new("id", "r"), new("query", "bees"), new("filters", InvalidUtf8)], "invalid_utf8"),
        ("filter of the wrong type", [new("id", "r"), new("query", "bees"), new("filters", "{\"sources\":\"wiki\"}")], "invalid_field"),
        ("filter time of the wrong type", [new("id", "r"), new("query", "bees"), new("filters", "{\"from\":true}")], "invalid_field"),
        ("filter from after to", [new("id", "r"), new("query", "bees"), new("filters", "{\"from\":2000,\"to\":1000}")], "invalid_field"),
        ("unknown filter", [new("id", "r"), new("query", "bees"), new("filters", "{\"author\":[\"x\"]}")], "unknown_filter"),
        ("filter injection in sources", [new("id", "r"), new("query", "bees"), new("filters", "{\"sources\":[\"wiki\\\" or .source != \\\"x\"]}")], "invalid_field"),
        ("filter injection in tags", [new("id", "r"), new("query", "bees"), new("filters", "{\"tags_any\":[\"x) or (1\"]}")], "invalid_field"),
        ("injection in tenant", [new("id", "r"), new("query", "bees"), new("tenant", "default\" or 1")], "invalid_field"),
        ("key injection in tenant", [new("id", "r"), new("query", "bees"), new("tenant", "x}:{docs")], "invalid_field"),
        ("missing reply channel", [new("id", "r"), new("query", "bees"), new("reply_to", RedisValue.Null)], "dead-letter"),
        ("reply channel with a newline", [new("id", "r"), new("query", "bees"), new("reply_to", "chan\nnel")], "dead-letter"),
        ("reply channel of 300 characters", [new("id", "r"), new("query", "bees"), new("reply_to", new string('c', 300))], "dead-letter"),
    ];

    [Fact]
    public async Task MalformedEventsAndRequests_EachGetsAClearErrorOrDeadLetter_WorkersKeepServing()
    {
        await using var scope = new TestScope(redis);
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks]);
        await using var embedder = WorkerProcess.Start("Embedder", settings);
        await using var queryWorker = WorkerProcess.Start("Query", settings);
        var db = scope.Db;

        // Documents: every bad event between two good ones.
        var docIds = new List<(string Kind, string StreamId, string Code)>();
        var good = 0;
        foreach (var (kind, fields, code) in BadDocuments)
        {
            await db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert(good++));
            docIds.Add((kind, (string)(await db.StreamAddAsync(scope.Keys.DocumentEvents, fields))!, code));
        }

        await db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert(good++));

        // Requests: each on a reply channel of its own (a pattern subscription hears them all).
        var replies = new ConcurrentDictionary<string, ConcurrentQueue<JsonElement>>(StringComparer.Ordinal);
        var pattern = await redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Pattern($"{scope.Prefix}:bad:*"));
        pattern.OnMessage(m => replies.GetOrAdd(m.Channel.ToString(), _ => new()).Enqueue(JsonDocument.Parse((byte[])m.Message!).RootElement.Clone()));
        var requestIds = new List<(string Kind, string StreamId, string Channel, string Expected)>();
        var bad = BadRequests();
        for (var i = 0; i < bad.Length; i++)
        {
            var (kind, fields, expected) = bad[i];
            var channel = $"{scope.Prefix}:bad:{i}";
            var entry = fields.Any(f => f.Name == "reply_to")
                ? fields.Where(f => !f.Value.IsNull).ToArray()
                : [.. fields, new NameValueEntry("reply_to", channel)];
            requestIds.Add((kind, (string)(await db.StreamAddAsync(scope.Keys.QueryRequests, entry))!, channel, expected));
        }

        await WaitDrainedAsync(db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(60), () => embedder.Output);

        // Two requests with the same id: queries have no side effects, so both are answered, alike.
        // Posted once the documents are indexed: two answers on either side of an index change differ rightly.
        var dupChannel = $"{scope.Prefix}:bad:dup";
        await db.StreamAddAsync(scope.Keys.QueryRequests, Requests.Query("same-id", "bees honey", dupChannel));
        await db.StreamAddAsync(scope.Keys.QueryRequests, Requests.Query("same-id", "bees honey", dupChannel));

        await WaitDrainedAsync(db, scope.Keys.QueryRequests, scope.Keys.QueryGroup, TimeSpan.FromSeconds(60), () => queryWorker.Output);
        await EventuallyAsync(() => Task.FromResult(replies.Values.Sum(q => q.Count) >= requestIds.Count(r => r.Expected != "dead-letter") + 2),
            "every answerable request is answered", TimeSpan.FromSeconds(20));

        // And they keep serving: a good question after all that is answered with results.
        await using var collector = await ReplyCollector.StartAsync(redis.Connection, $"{scope.Prefix}:good");
        await db.StreamAddAsync(scope.Keys.QueryRequests, Requests.Query("after", "bees honey hives", collector.Channel));
        await EventuallyAsync(() => Task.FromResult(collector.Answered == 1), "a good request after the bad ones is answered", TimeSpan.FromSeconds(20));

        var docDead = (await db.StreamRangeAsync(scope.Keys.DocumentDeadLetters)).ToDictionary(e => (string)e[DeadLetterFields.Id]!, e => (string)e[DeadLetterFields.Reason]!);
        var queryDead = (await db.StreamRangeAsync(scope.Keys.QueryDeadLetters)).ToDictionary(e => (string)e[DeadLetterFields.Id]!, e => (string)e[DeadLetterFields.Reason]!);
        var failures = new List<string>();
        var output = new StringBuilder();
        foreach (var (kind, id, code) in docIds)
        {
            var reason = docDead.GetValueOrDefault(id);
            output.AppendLine($"document | {kind} | dead-letter: {Shorten(reason)}");
            if (reason is null || !reason.StartsWith(code + ":", StringComparison.Ordinal))
            {
                failures.Add($"document '{kind}': expected a dead letter starting with {code}, got {reason ?? "none"}");
            }
        }

        foreach (var (kind, id, channel, expected) in requestIds)
        {
            var got = replies.TryGetValue(channel, out var q) ? q.ToArray() : [];
            var dead = queryDead.GetValueOrDefault(id);
            var outcome = expected == "dead-letter"
                ? dead is not null && dead.StartsWith("missing_field:", StringComparison.Ordinal) && got.Length == 0
                : got.Length == 1 && ReplyCollector.Status(got[0]) == expected && got[0].GetProperty("error").GetProperty("message").GetString()!.Length > 0 && dead is null;
            output.AppendLine($"request | {kind} | {(got.Length > 0 ? $"reply {ReplyCollector.Status(got[0])}: {Shorten(got[0].GetProperty("error").GetProperty("message").GetString())}" : $"dead-letter: {Shorten(dead)}")}");
            if (!outcome)
            {
                failures.Add($"request '{kind}': expected {expected}, got {got.Length} replies ({string.Join(", ", got.Select(ReplyCollector.Status))}), dead letter {dead ?? "none"}");
            }
        }

        var dups = replies.TryGetValue(dupChannel, out var dq) ? dq.ToArray() : [];
        TestContext.Current.TestOutputHelper?.WriteLine(output.ToString());
        var index = scope.Index();
        var goodIndexed = 0;
        for (var i = 0; i < good; i++)
        {
            goodIndexed += await index.GetStateAsync("default", $"d{i}", Ct) is not null ? 1 : 0;
        }

        await report.WriteAsync(new FaultRow(
            "7 bad input",
            $"{BadDocuments.Length} kinds of bad document events between {good} good ones; {bad.Length} kinds of bad requests + a duplicated request id",
            "wrong types, huge fields and names, control characters, invalid UTF-8, JSON bombs (depth, width), negative/absurd k and ef, unknown fields, filter and key injection, missing/unusable reply channel, duplicate ids",
            good - goodIndexed,
            0,
            null,
            $"{failures.Count} mismatches; {docDead.Count} document dead letters; {replies.Count} error-reply channels; {queryDead.Count} request dead letters; duplicated id answered {dups.Length} times"));

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(BadDocuments.Length, docDead.Count);
        Assert.Equal(good, goodIndexed);
        Assert.Equal(2, dups.Length);
        Assert.Equal(ReplyCollector.Results(dups[0]), ReplyCollector.Results(dups[1]));
        Assert.Equal("ok", ReplyCollector.Status(collector.RepliesTo("after")[0]));
        Assert.False(embedder.HasExited || queryWorker.HasExited, embedder.Output + queryWorker.Output);
        await pattern.UnsubscribeAsync();
    }

    private static string Shorten(string? text) => text is null ? "none" : text.Length <= 120 ? text : text[..120] + "…";
}
