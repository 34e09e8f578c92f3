namespace StreamRag.Index.Search;

/// <summary>The server refused the Query Engine probe for a reason that says nothing about the engine (e.g. NOPERM).</summary>
public sealed class IndexEngineProbeException(string message, Exception inner) : Exception(message, inner);
