using System.Diagnostics;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;
using StreamRag.Security;
using StreamRag.Telemetry;

namespace StreamRag.Embedder;

/// <summary>
/// The document path for one batch of events, as a pipeline of steps (Steps/): parse (malformed
/// events are dead-lettered with the reason) → access (with tokens required, an event whose token does
/// not grant its tenant <c>write</c> is dead-lettered <c>unauthorized</c>) → plan (<see cref="DocumentPlanner"/>: stale versions
/// and unchanged content skip embedding) → embed (<see cref="PassageEmbedder"/>: every new passage of
/// the batch in as few calls as possible) → write (<see cref="DocumentWriter"/>: each document
/// atomically) → settle (<see cref="ReplicaSettle"/>: replicas confirm, when asked to).
/// </summary>
internal sealed partial class DocumentEventHandler(
    ContractLimits limits,
    TenantTokenValidator tokens,
    DocumentPlanner planner,
    PassageEmbedder passages,
    DocumentWriter writer,
    ReplicaSettle settle,
    EmbedderMetrics metrics,
    TimeProvider time,
    ILogger<DocumentEventHandler> logger) : IStreamEntryHandler
{
    private readonly DocumentEventParser parser = new(limits);

    public async Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        var outcomes = new EntryOutcome[entries.Count];
        var events = await AuthorizeAsync(Parse(entries, outcomes), outcomes);

        // One span for the batch, linked to every traced event in it: the batch is embedded together,
        // so it belongs to no single trace; each document's write is a child of its own event's trace.
        using var batch = StreamRagTelemetry.Source.StartActivity(
            SpanNames.EmbedBatch,
            ActivityKind.Consumer,
            parentContext: default,
            tags: [new(SpanAttributes.BatchSize, entries.Count)],
            links: events.Where(e => e.Event.TraceParent is not null).Select(e => new ActivityLink(e.Event.TraceParent!.Value)).ToArray());

        // Events of one document run in stream order; different documents run side by side.
        var plans = await Task.WhenAll(events.GroupBy(e => (e.Event.Tenant, e.Event.Id)).Select(g => planner.PlanAsync(g.ToArray(), cancellationToken)));
        await passages.EmbedAsync(plans.SelectMany(p => p).Where(p => p.Chunks is not null).ToArray(), cancellationToken);
        await Task.WhenAll(plans.Select(async group =>
        {
            foreach (var plan in group)
            {
                outcomes[plan.Slot] = plan.Refused is { } reason ? DeadLetter(reason) : await writer.WriteTracedAsync(plan, batch, cancellationToken);
            }
        }));

        await settle.WaitAsync(events, cancellationToken);
        return outcomes;
    }

    private List<ParsedEvent> Parse(IReadOnlyList<StreamEntry> entries, EntryOutcome[] outcomes)
    {
        var events = new List<ParsedEvent>(entries.Count);
        var now = time.GetUtcNow();
        for (var i = 0; i < entries.Count; i++)
        {
            // An id whose time is past year 9999 says nothing about arrival: the event's default
            // timestamp is then the moment it is taken up, and it is left out of freshness.
            var arrived = StreamEntries.TimeOf(entries[i].Id);
            var parsed = parser.Parse(entries[i].RawFields(), arrived ?? now);
            if (parsed.IsValid)
            {
                events.Add(new ParsedEvent(i, entries[i].Id.ToString(), parsed.Value!, arrived));
            }
            else
            {
                outcomes[i] = DeadLetter(parsed.Error!.ToString());
            }
        }

        return events;
    }

    /// <summary>The events whose token grants their tenant <c>write</c> (all of them with tokens off); the others are dead-lettered.</summary>
    private async Task<List<ParsedEvent>> AuthorizeAsync(List<ParsedEvent> events, EntryOutcome[] outcomes)
    {
        if (!tokens.Required)
        {
            return events;
        }

        var granted = new List<ParsedEvent>(events.Count);
        foreach (var e in events)
        {
            var check = await tokens.CheckAsync(e.Event.Token, e.Event.Tenant, TokenScope.Write);
            if (check.Granted)
            {
                granted.Add(e);
            }
            else
            {
                Log.Refused(logger, e.Event.Id, e.Event.Tenant, check.Reason!);
                outcomes[e.Slot] = DeadLetter($"{ErrorCodes.Unauthorized}: {check.Reason}");
            }
        }

        return granted;
    }

    private EntryOutcome DeadLetter(string reason)
    {
        metrics.Event("dead_lettered");
        return EntryOutcome.DeadLetter(reason);
    }

    private static partial class Log
    {
        [LoggerMessage(2900, LogLevel.Information, "Refused document event {Id} of tenant {Tenant}: {Reason}")]
        public static partial void Refused(ILogger logger, string id, string tenant, string reason);
    }
}
