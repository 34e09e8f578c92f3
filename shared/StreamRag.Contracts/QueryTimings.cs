
namespace StreamRag.Contracts;

/// <summary>Milliseconds spent waiting in the stream, embedding, searching, and in all.</summary>
/// <param name="QueueMs">From the request's XADD (its stream id's time) to a worker taking it up; null (omitted) when the id's time is unknown (past year 9999).</param>
/// <param name="TotalMs">Queue time (when known) plus the worker's own time.</param>
public sealed record QueryTimings(double? QueueMs, double EmbedMs, double SearchMs, double TotalMs)
{
    public static QueryTimings Zero { get; } = new(0, 0, 0, 0);
}
