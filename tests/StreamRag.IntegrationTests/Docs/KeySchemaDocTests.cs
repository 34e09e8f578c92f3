using System.Text.RegularExpressions;
using StreamRag.Client;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests.Docs;

/// <summary>
/// docs/keys.md lists every key the fleet writes, in a table between <c>key-table</c> markers: a full
/// run of the fleet must leave no key the table does not list, and every key the table says a run
/// leaves must be there.
/// </summary>
[Collection(ProcessMetricsCollection.Name)]
public sealed partial class KeySchemaDocTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One row of the table: the documented pattern and what a run leaves of it.</summary>
    internal sealed record KeyRow(string Pattern, string InARun)
    {
        public Regex ToRegex(string prefix)
        {
            var text = Pattern.Replace("{prefix}", "\u0001", StringComparison.Ordinal);
            var parts = PlaceholderRegex().Split(text);
            var body = string.Concat(parts.Select((part, i) => i % 2 == 1 ? ".+" : Regex.Escape(part)));
            return new Regex("^" + body.Replace("\u0001", Regex.Escape(prefix), StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
        }
    }

    [GeneratedRegex("(<[a-z]+>)")]
    private static partial Regex PlaceholderRegex();

    /// <summary>The rows of the key table of docs/keys.md.</summary>
    internal static IReadOnlyList<KeyRow> DocumentedKeys()
    {
        var text = File.ReadAllText(Path.Combine(RedisServerFixture.RepositoryRoot(), "docs", "keys.md"));
        var start = text.IndexOf("<!-- key-table -->", StringComparison.Ordinal);
        var end = text.IndexOf("<!-- /key-table -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/keys.md has no <!-- key-table --> … <!-- /key-table --> section");
        var rows = new List<KeyRow>();
        foreach (var line in text[start..end].Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            Assert.True(cells.Length == 4, $"a key-table row has 4 cells: {line}");
            var inRun = cells[3];
            Assert.True(inRun is "yes" or "transient" or "search", $"'In a run' is yes, transient or search: {line}");
            rows.Add(new KeyRow(cells[0].Trim('`'), inRun));
        }

        Assert.NotEmpty(rows);
        return rows;
    }

    [Fact]
    public void KeyTable_CoversEveryNameOfTheKeySchema()
    {
        // The schema's names, instantiated with a sample prefix, tenant and document: each must match a row.
        var keys = new KeySchema("p", 1);
        var partition = keys.Partition("acme", 0);
        string[] names =
        [
            keys.DocumentEvents!, keys.DocumentDeadLetters!, keys.DocumentDeletions!, keys.QueryRequests!, keys.QueryDeadLetters!,
            keys.QueryMetrics!, keys.Alerts!, keys.AlertStates!, keys.MonitorStatus!, keys.Settings!, keys.Tenants!, keys.IndexManifest!,
            partition.VectorSet!, partition.Document("doc-1")!, partition.ExpiryIndex!, partition.Epoch!, partition.LinkedCopies!, partition.Fence!, partition.DeletionOutbox!, partition.Chunk("doc-1", 0)!,
            keys.WatchSet("acme")!, keys.WatchExpiry("acme")!, keys.WatchThresholds("acme")!, keys.WatchTenants!, keys.WatchStreamPrefix + "desk", keys.WatchNotified(keys.WatchStreamPrefix + "desk")!,
        ];
        var rows = DocumentedKeys();
        Assert.All(names, name => Assert.True(rows.Any(r => r.ToRegex("p").IsMatch(name)), $"{name} (KeySchema) is not in the key table of docs/keys.md"));
    }

    [Fact]
    public async Task AFullRun_LeavesExactlyTheDocumentedKeys()
    {
        await using var scope = new TestScope(redis);
        await DocFleet.StartAsync(scope);
        var db = scope.Db;
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);
        // The monitor's first evaluation is its baseline: dead letters from before it would raise no alert.
        await TestScope.EventuallyAsync(() => db.KeyExistsAsync(scope.Keys.MonitorStatus), "the monitor has evaluated once", TimeSpan.FromSeconds(30));

        // A watch the upserts below answer: its keys, a notification and what remembers it.
        await client.RegisterWatchAsync("queen bee eggs", new WatchQueryOptions { Threshold = 0.55, NotifyTo = scope.Keys.WatchStreamPrefix + "desk", Timeout = TimeSpan.FromSeconds(30) }, Ct);

        // Upserts, one with an expiry of a second; an update; a delete; a bad event (a dead letter).
        await client.UpsertDocumentAsync(new DocumentUpsert("bees", 1, "The queen bee lays the eggs of the hive.") { Tags = ["a"] }, Ct);
        // In another tenant: its expiry must not end the cached replies of the default tenant's queries below.
        await client.UpsertDocumentAsync(new DocumentUpsert("soon-gone", 1, "Milk keeps a week in the fridge.") { Ttl = TimeSpan.FromSeconds(1), Tenant = "acme" }, Ct);
        await client.UpsertDocumentAsync(new DocumentUpsert("volcano", 1, "Volcanoes erupt when magma rises.") { Tenant = "acme" }, Ct);
        await client.UpsertDocumentAsync(new DocumentUpsert("bees", 2, "The queen bee lays every egg of the hive.") { Tags = ["a", "b"] }, Ct);
        await client.DeleteDocumentAsync("volcano", 2, "acme", Ct);
        await db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "typo"), new("version", 1), new("colour", "blue"), new("content", "x")]);
        // A query request nobody can be answered on (no reply_to): a dead letter of the query stream.
        await db.StreamAddAsync(scope.Keys.QueryRequests, [new("id", "q-lost"), new("query", "anything")]);

        // Queries, one asked twice (a cache hit).
        // Generous reply timeouts: a contended machine (two cores, several test runs) is slow, not wrong.
        var patient = new QueryOptions { Timeout = TimeSpan.FromSeconds(30) };
        // Every write of the default tenant applied first: a later one would move its epoch between the two queries.
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "bees", Ct) is { Version: 2 }, "the update is indexed", TimeSpan.FromSeconds(60));
        await TestScope.EventuallyAsync(async () => (await client.QueryAsync("queen bee eggs", patient, Ct)).Results.Any(r => r.Id == "bees"), "the update is searchable", TimeSpan.FromSeconds(60));
        var again = await client.QueryAsync("queen bee eggs", patient, Ct);
        Assert.Equal("hit", again.Cache);

        // The sweeper deletes the expired document (its deletion record reaches the audit stream),
        // and the monitor has evaluated, fired an alert (the dead letters) and tuned.
        await TestScope.EventuallyAsync(async () => await db.StreamLengthAsync(scope.Keys.DocumentDeletions) == 1, "the sweeper recorded the expiry", TimeSpan.FromSeconds(30));
        await TestScope.EventuallyAsync(async () => await db.StreamLengthAsync(scope.Keys.Alerts) > 0 && await db.KeyExistsAsync(scope.Keys.Settings),
            "the monitor alerted (dead letters) and tuned", TimeSpan.FromSeconds(30));
        await TestScope.EventuallyAsync(async () => await db.StreamLengthAsync(scope.Keys.DocumentDeadLetters) == 1 && await db.StreamLengthAsync(scope.Keys.QueryDeadLetters) == 1,
            "both dead letters are written");
        Assert.True(await db.StreamLengthAsync(scope.Keys.WatchStreamPrefix + "desk") > 0, "the watch was notified");

        var found = new List<string>();
        foreach (var server in RedisPrimaries.Of(redis.Connection))
        {
            await foreach (var key in server.KeysAsync(pattern: $"{scope.Prefix}:*", pageSize: 1000))
            {
                found.Add(key!);
            }
        }

        var rows = DocumentedKeys();
        var undocumented = found.Where(k => !rows.Any(r => r.ToRegex(scope.Prefix).IsMatch(k))).Order(StringComparer.Ordinal).ToArray();
        Assert.True(undocumented.Length == 0, $"keys the fleet wrote that docs/keys.md does not list: {string.Join(", ", undocumented)}");
        var missing = rows.Where(r => r.InARun == "yes" && !found.Any(k => r.ToRegex(scope.Prefix).IsMatch(k))).Select(r => r.Pattern).ToArray();
        Assert.True(missing.Length == 0, $"keys docs/keys.md says a run leaves that it did not: {string.Join(", ", missing)}");
    }
}
