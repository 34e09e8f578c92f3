namespace StreamRag.Admin;

/// <summary>The two dead-letter streams: of document events and of query requests.</summary>
public enum DeadLetterStream
{
    Documents,
    Queries,
}
