namespace StreamRag.Monitor;

/// <summary>What the tuner decided.</summary>
/// <param name="Ef">The effort to use from now on.</param>
/// <param name="Changed">Whether it differs from the current one.</param>
/// <param name="RecallShort">Recall is measured and below the floor.</param>
/// <param name="LatencyOver">p99 is measured and over the budget.</param>
/// <param name="Stuck">Recall is short and the tuner cannot raise the effort (at the bound, or the latency budget forbids it).</param>
internal sealed record EfDecision(int Ef, bool Changed, bool RecallShort, bool LatencyOver, bool Stuck, string Reason);
