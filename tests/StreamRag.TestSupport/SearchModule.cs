namespace StreamRag.TestSupport;

/// <summary>
/// The Query Engine module build the tests load into a local Redis of their own: <c>./test.sh</c> passes its
/// path in <see cref="Variable"/> (CI points it at a RediSearch build matching the local Redis), so the Query
/// Engine engine is tested for real on a machine without Docker.
/// </summary>
public static class SearchModule
{
    public const string Variable = "STREAMRAG_SEARCH_MODULE";

    /// <summary>The module file named by <see cref="Variable"/>, or null when it is not set.</summary>
    /// <exception cref="InvalidOperationException">The variable names a file that does not exist.</exception>
    public static string? Configured()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        return File.Exists(full) ? full : throw new InvalidOperationException($"{Variable}={path}: no such file");
    }

    /// <summary>
    /// A local server (deploy/redis.sh, the version it runs) with the configured module loaded, stopped when
    /// disposed; null when no module is configured.
    /// </summary>
    public static async Task<DedicatedRedisServer?> StartServerAsync()
    {
        return Configured() is { } module
            ? await RedisServerFixture.StartDedicatedAsync("--loadmodule", module, "--maxmemory", "2gb")
            : null;
    }
}
