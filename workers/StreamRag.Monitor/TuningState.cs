namespace StreamRag.Monitor;

/// <summary>The tuner's state after a round, for alerts, status and metrics.</summary>
/// <param name="ChangedFrom">The effort before, when this round changed <c>search_ef</c>; null when it did not.</param>
internal sealed record TuningState(int Ef, EfMeasurement Measurement, EfDecision Decision, DateTimeOffset Since, int? ChangedFrom = null);
