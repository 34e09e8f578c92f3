
namespace StreamRag.Index;

public enum IndexWriteResult
{
    /// <summary>The change is in the index.</summary>
    Applied,

    /// <summary>The index already holds this or a newer version; nothing changed.</summary>
    Stale,

    /// <summary>A metadata-only update found different content indexed: embed and write the chunks.</summary>
    ContentChanged,
}
