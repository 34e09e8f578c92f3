namespace StreamRag.Security;

/// <summary>What a token lets its holder do in its tenants.</summary>
public enum TokenScope
{
    /// <summary>Post document events (upserts and deletes).</summary>
    Write,

    /// <summary>Ask query requests.</summary>
    Query,
}
