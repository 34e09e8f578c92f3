namespace StreamRag.Monitor;

/// <summary>Recall and latency measured at one search effort.</summary>
/// <param name="RecallSamples">Recall checks done at this effort.</param>
/// <param name="Recall">Mean recall@k of those checks (null before the first).</param>
/// <param name="LatencySamples">Queries answered at this effort in the window.</param>
/// <param name="SearchP99Ms">Their p99 search time (null when there are none).</param>
internal sealed record EfMeasurement(int RecallSamples, double? Recall, int LatencySamples, double? SearchP99Ms);
