namespace StreamRag.Index;

/// <summary>What registering a watch did.</summary>
public enum WatchAddResult
{
    Added,

    /// <summary>The tenant has <see cref="WatchOptions.MaxPerTenant"/> live watches already.</summary>
    TenantLimit,

    /// <summary>All tenants together have <see cref="WatchOptions.MaxTotal"/> watches already.</summary>
    TotalLimit,
}
