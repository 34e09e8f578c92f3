namespace StreamRag.Index.Search;

/// <summary>The running FT index does not have the configured schema; it is neither reused silently nor dropped.</summary>
public sealed class IndexSchemaMismatchException(string index, IReadOnlyList<string> differences)
    : Exception($"The running FT index {index} differs from the configured schema: {string.Join("; ", differences)}. "
                + "Migrate it with: dotnet run --project tools/StreamRag.IndexAdmin -- migrate (see docs/search-engine.md), "
                + "or set Index:Search:OnSchemaMismatch=warn to keep serving the running index.")
{
    public string Index { get; } = index;

    public IReadOnlyList<string> Differences { get; } = differences;
}
