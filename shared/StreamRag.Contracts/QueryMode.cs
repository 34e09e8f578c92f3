namespace StreamRag.Contracts;

/// <summary>What the caller wants back: ranked passages, or an answer built from them.</summary>
public enum QueryMode
{
    Search,
    Answer,
}
