namespace StreamRag.Security;

/// <summary>Whether document events and query requests must carry a signed tenant token.</summary>
public enum TokenMode
{
    /// <summary>Tokens are not checked (a <c>token</c> field is accepted and ignored): any caller may use any tenant.</summary>
    Off,

    /// <summary>Every event and request needs a valid token granting its tenant and its scope.</summary>
    Required,
}
