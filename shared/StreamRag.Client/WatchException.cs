namespace StreamRag.Client;

/// <summary>A watch or unwatch request was refused: <see cref="Code"/> is a stable error code (docs/contract.md).</summary>
public sealed class WatchException : Exception
{
    public WatchException()
    {
    }

    public WatchException(string message)
        : base(message)
    {
    }

    public WatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WatchException(string code, string message)
        : base($"{code}: {message}")
    {
        Code = code;
    }

    public string Code { get; } = "";
}
