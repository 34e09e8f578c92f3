namespace StreamRag.Cli;

/// <summary>Exit codes of <c>streamrag</c> (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran but not everything succeeded (dead letters, a failed query, an index that differs).</summary>
    public const int Incomplete = 1;

    /// <summary>Bad usage: an unknown option, a bad option value, a path that cannot be read.</summary>
    public const int Usage = 2;

    /// <summary>Redis cannot be reached.</summary>
    public const int RedisUnreachable = 3;

    /// <summary>No worker serves the stream the command needs (no embedder for ingest, no query worker for ask).</summary>
    public const int NoFleet = 4;

    /// <summary>Stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
