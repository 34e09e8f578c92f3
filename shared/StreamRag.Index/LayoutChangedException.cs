using StackExchange.Redis;

namespace StreamRag.Index;

/// <summary>A fenced partition refused a write made under an older layout: the writer re-reads the layout and writes again.</summary>
public sealed class LayoutChangedException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>The error a fenced partition's script replies with (fence.lua).</summary>
    public const string ErrorPrefix = "LAYOUT";

    public static bool IsFenced(RedisServerException error) =>
        error is not null && error.Message.StartsWith(ErrorPrefix, StringComparison.Ordinal);
}
