using System.Diagnostics;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Ingest;

/// <summary>
/// Loads files into the fleet: reads them lazily, skips documents the ledger says are unchanged, checks
/// each event with the contract's own parser before posting it (through <see cref="StreamRagClient"/>),
/// and follows every posted event until the index holds its version (searchable) or it lands in the
/// dead-letter stream. At most <see cref="IngestOptions.MaxInFlight"/> events are unsettled at a time.
/// Cancelling stops posting and waiting at once and still returns the summary so far.
/// </summary>
public sealed class Ingestor(IConnectionMultiplexer redis, KeySchema keys, StreamRagClient client, TimeProvider time)
{
    private readonly IConnectionMultiplexer redis = redis;
    private readonly KeySchema keys = keys;
    private readonly StreamRagClient client = client;
    private readonly TimeProvider time = time;
    private readonly DocumentEventParser parser = new(ContractLimits.Default);

    public async Task<IngestSummary> RunAsync(IReadOnlyList<IngestFile> files, IngestOptions options, IProgress<IngestProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var run = new Run(this, options, progress, await CountAsync(files, cancellationToken));
        var clock = Stopwatch.StartNew();
        var cancelled = false;
        try
        {
            await run.StartAsync();
            var batch = new List<SourceEntry>(options.BatchSize);
            foreach (var file in files)
            {
                await foreach (var entry in IngestSources.ReadAsync(file, cancellationToken))
                {
                    batch.Add(entry);
                    if (batch.Count == options.BatchSize)
                    {
                        await run.PostAsync(batch, cancellationToken);
                        batch.Clear();
                    }
                }
            }

            await run.PostAsync(batch, cancellationToken);
            await run.SettleAllAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
        }

        return run.Summary(files.Count, clock.Elapsed, cancelled);
    }

    /// <summary>Entries in the files: one per Markdown or text file, one per non-blank line of JSON Lines.</summary>
    private static async Task<int> CountAsync(IReadOnlyList<IngestFile> files, CancellationToken cancellationToken)
    {
        var total = 0;
        foreach (var file in files)
        {
            if (!file.IsJsonLines)
            {
                total++;
                continue;
            }

            using var reader = new StreamReader(file.FullPath);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                total += string.IsNullOrWhiteSpace(line) ? 0 : 1;
            }
        }

        return total;
    }

    private sealed record Pending(string Id, long Version, string Digest, string Origin, string StreamId);

    /// <summary>The state of one run.</summary>
    private sealed class Run(Ingestor owner, IngestOptions options, IProgress<IngestProgress>? progress, int total)
    {
        private readonly IDatabase db = owner.redis.GetDatabase();
        private readonly IngestLedger ledger = new(owner.redis.GetDatabase(), owner.keys, options.Tenant);
        private readonly Dictionary<string, Pending> pending = new(StringComparer.Ordinal);
        private readonly List<IngestFailure> failures = [];
        private RedisValue deadCursor = "0-0";
        private long lastVersion;
        private int read, skipped, rejected, posted, searchable, deadLettered;
        private long passages;
        private bool stalled;

        public async Task StartAsync()
        {
            // Only dead letters written after this point can be this run's.
            var last = await db.StreamRangeAsync(owner.keys.DocumentDeadLetters, "-", "+", 1, Order.Descending);
            deadCursor = last.Length == 0 ? "0-0" : last[0].Id;
            Report();
        }

        public async Task PostAsync(List<SourceEntry> entries, CancellationToken cancellationToken)
        {
            read += entries.Count;
            var documents = new List<(SourceDocument Source, DocumentUpsert Upsert, string Digest)>();
            foreach (var entry in entries)
            {
                if (entry.Document is not { } source)
                {
                    Reject(entry.Origin, entry.Origin, entry.Problem!);
                    continue;
                }

                var tags = options.Tags.Concat(source.Tags ?? []).Distinct(StringComparer.Ordinal).ToArray();
                var ttl = source.TtlSeconds is { } s ? TimeSpan.FromSeconds(s) : options.Ttl;
                var upsert = new DocumentUpsert(source.Id, 0, source.Content) { Source = source.Source ?? options.Source, Tags = tags, Ttl = ttl, Tenant = options.Tenant };
                documents.Add((source, upsert, IngestLedger.DigestOf(source.Content, upsert.Source, tags, ttl is { } t ? (long)Math.Ceiling(t.TotalSeconds) : null)));
            }

            var ids = documents.Select(d => d.Upsert.Id).ToArray();
            var recorded = await ledger.ReadAsync(ids);
            var states = await StatesAsync(ids);
            var posts = new List<(Pending Pending, Task<string> Post)>();
            for (var i = 0; i < documents.Count; i++)
            {
                var (source, upsert, digest) = documents[i];
                var state = states[i];
                if (!options.Force && recorded[i] is { } known && known.Digest == digest && state is { Deleted: false } && state.ContentHash == known.IndexHash)
                {
                    skipped++;
                    continue;
                }

                // Versions grow across the run (a later entry for the same id wins) and beyond what is indexed.
                var now = owner.time.GetUtcNow().ToUnixTimeMilliseconds();
                lastVersion = Math.Max(lastVersion + 1, Math.Max(now, (state?.Version ?? 0) + 1));
                upsert = upsert with { Version = lastVersion };
                if (Check(upsert) is { } violation)
                {
                    Reject(upsert.Id, source.Origin, violation);
                    continue;
                }

                while (pending.Count >= options.MaxInFlight)
                {
                    await SettleOnceAsync(cancellationToken);
                }

                // Not cancelled once sent: an XADD on its way lands whether or not anyone waits for it,
                // and the summary must count it as posted (Redis answers within its own timeout).
                posts.Add((new Pending(upsert.Id, upsert.Version, digest, source.Origin, ""), owner.client.UpsertDocumentAsync(upsert, CancellationToken.None)));
            }

            foreach (var (p, post) in posts)
            {
                var streamId = await post;
                pending[streamId] = p with { StreamId = streamId };
                posted++;
            }

            Report();
        }

        public async Task SettleAllAsync(CancellationToken cancellationToken)
        {
            while (pending.Count > 0 && !stalled)
            {
                await SettleOnceAsync(cancellationToken);
            }
        }

        private DateTimeOffset lastSettled = DateTimeOffset.MinValue;

        /// <summary>One pass: which pending events are searchable, which were dead-lettered; then waits a poll interval if some remain.</summary>
        private async Task SettleOnceAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var before = searchable + deadLettered;
            await ReadDeadLettersAsync();
            var waiting = pending.Values.ToArray();
            var states = await StatesAsync(waiting.Select(p => p.Id).ToArray());
            var done = new List<(string Id, LedgerEntry Entry)>();
            for (var i = 0; i < waiting.Length; i++)
            {
                if (states[i] is { } state && state.Version >= waiting[i].Version)
                {
                    pending.Remove(waiting[i].StreamId);
                    searchable++;
                    if (state.Version == waiting[i].Version && !state.Deleted)
                    {
                        passages += state.Chunks;
                        done.Add((waiting[i].Id, new LedgerEntry(waiting[i].Digest, state.Version, state.ContentHash ?? "")));
                    }
                }
            }

            await ledger.RecordAsync(done);
            Report();
            var now = owner.time.GetUtcNow();
            if (searchable + deadLettered > before || lastSettled == DateTimeOffset.MinValue)
            {
                lastSettled = now;
            }
            else if (now - lastSettled > options.StallTimeout)
            {
                stalled = true;
                return;
            }

            if (pending.Count > 0)
            {
                await Task.Delay(options.PollInterval, owner.time, cancellationToken);
            }
        }

        private async Task ReadDeadLettersAsync()
        {
            while (true)
            {
                var entries = await db.StreamRangeAsync(owner.keys.DocumentDeadLetters, "(" + deadCursor, "+", 500);
                foreach (var entry in entries)
                {
                    deadCursor = entry.Id;
                    var original = (string?)entry[DeadLetterFields.Id];
                    if (original is not null && pending.Remove(original, out var p))
                    {
                        deadLettered++;
                        failures.Add(new IngestFailure(p.Id, p.Origin, (string?)entry[DeadLetterFields.Reason] ?? "(no reason given)", entry.Id!));
                    }
                }

                if (entries.Length < 500)
                {
                    return;
                }
            }
        }

        private async Task<DocumentState?[]> StatesAsync(IReadOnlyList<string> ids)
        {
            // The layout read afresh: the shard count may change while a long ingest runs.
            var layout = (await IndexLayoutStore.ReadAsync(db, owner.keys)).Current;
            var batch = db.CreateBatch();
            var reads = ids.Select(id => PartitionReads.DocumentStateAsync(batch, layout.PartitionOf(owner.keys, options.Tenant, id), id)).ToArray();
            batch.Execute();
            return await Task.WhenAll(reads);
        }

        /// <summary>The contract parser's verdict on the event, before it is posted; null when valid.</summary>
        private string? Check(DocumentUpsert upsert)
        {
            var fields = StreamRagClient.UpsertFields(upsert).Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name!, (byte[])f.Value!));
            return owner.parser.Parse(fields, owner.time.GetUtcNow()).Error?.ToString();
        }

        private void Reject(string id, string origin, string reason)
        {
            rejected++;
            failures.Add(new IngestFailure(id, origin, reason, null));
        }

        private void Report() => progress?.Report(new IngestProgress(total, read, skipped, rejected, posted, searchable, deadLettered, passages));

        public IngestSummary Summary(int files, TimeSpan elapsed, bool cancelled)
        {
            var unsettled = pending.Values.Select(p => new IngestFailure(p.Id, p.Origin, stalled
                ? $"not searchable after {options.StallTimeout.TotalSeconds:0} s without progress (is the embedder keeping up?)"
                : "not yet searchable when the run was stopped", null));
            return new IngestSummary(files, total, skipped, rejected, posted, searchable, deadLettered, pending.Count, passages, elapsed, cancelled, stalled,
                failures.Concat(unsettled).ToArray());
        }
    }
}
