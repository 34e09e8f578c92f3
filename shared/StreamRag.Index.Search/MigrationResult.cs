namespace StreamRag.Index.Search;

/// <summary>The outcome of a migration.</summary>
public sealed record MigrationResult(bool Switched, string From, string To, string Message);
