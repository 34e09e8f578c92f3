namespace StreamRag.Contracts;

/// <summary>What the caller wants: ranked passages, an answer built from them, or a standing query (watch) registered or removed.</summary>
public enum QueryMode
{
    Search,
    Answer,

    /// <summary>Register a standing query: new passages that match it are appended to its notification stream.</summary>
    Watch,

    /// <summary>Remove a standing query.</summary>
    Unwatch,
}
