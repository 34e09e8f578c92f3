namespace StreamRag.Contracts;

/// <summary>What a document event asks for.</summary>
public enum DocumentOperation
{
    Upsert,
    Delete,
}
