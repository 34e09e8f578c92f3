namespace StreamRag.Contracts;

/// <summary>Error codes of the wire contract, stable across versions (documented in docs/contract.md).</summary>
public static class ErrorCodes
{
    public const string UnsupportedVersion = "unsupported_version";
    public const string MissingField = "missing_field";
    public const string InvalidField = "invalid_field";
    public const string UnknownField = "unknown_field";
    public const string InvalidUtf8 = "invalid_utf8";
    public const string TooLarge = "too_large";
    public const string EmptyQuery = "empty_query";
    public const string KOutOfRange = "k_out_of_range";
    public const string UnknownFilter = "unknown_filter";
    public const string BadJson = "bad_json";
    public const string DeadlineExceeded = "deadline_exceeded";
    public const string Internal = "internal_error";
    public const string Unavailable = "unavailable";

    /// <summary>Tokens are required and this one is missing or does not grant the tenant and the scope.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>A watch would exceed the watches allowed per tenant or in total.</summary>
    public const string WatchLimit = "watch_limit";

    /// <summary>An unwatch names a watch the tenant does not have (never registered, removed, or expired).</summary>
    public const string UnknownWatch = "unknown_watch";
}
