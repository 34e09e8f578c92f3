namespace StreamRag.Contracts;

/// <summary>The <c>watch</c> object of a reply to <c>mode</c> <c>watch</c> (registered) or <c>unwatch</c> (removed).</summary>
/// <param name="Id">The watch id: what notifications carry and what <c>unwatch</c> takes.</param>
/// <param name="NotifyTo">Where its notifications go (watch only).</param>
/// <param name="ExpiresAt">When it ends by itself (watch only).</param>
/// <param name="Threshold">The least score that notifies (watch only).</param>
public sealed record WatchConfirmation(string Id, string? NotifyTo = null, DateTimeOffset? ExpiresAt = null, double? Threshold = null);
