namespace StreamRag.Contracts;

/// <summary>What a <c>mode</c> <c>watch</c> request asks for beyond its query, tenant and filters.</summary>
/// <param name="Threshold">The least score (the reply's scale, (1 + cosine) / 2) a passage needs to notify.</param>
/// <param name="Ttl">How long the watch lives; it is removed by itself afterwards.</param>
/// <param name="NotifyTo">The stream the notifications are appended to (its namespace is checked by the query worker).</param>
public sealed record WatchRequest(double Threshold, TimeSpan Ttl, string NotifyTo);
