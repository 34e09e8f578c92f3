using System.Diagnostics;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace StreamRag.TestSupport;

/// <summary>
/// The one Redis 8 server all integration tests share (each test isolates itself with its own key
/// prefix). Where it comes from, in order: <c>STREAMRAG_TEST_REDIS</c>; a local Redis Cluster
/// (3 masters, 3 replicas) from <c>deploy/redis.sh cluster</c> when <c>STREAMRAG_TEST_CLUSTER</c>
/// is <c>1</c> (the cluster stage of <c>./test.sh</c>); a <c>redis:8</c> container when a Docker
/// engine answers; else a local server started from <c>deploy/redis.sh</c> on a free port and
/// stopped afterwards. On a cluster (started here or named by <c>STREAMRAG_TEST_REDIS</c>) the
/// scenarios run with <see cref="ClusterShards"/> partitions per tenant.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime, ITestRedisServer
{
    /// <summary>Set to <c>1</c> to run the shared server as a local Redis Cluster.</summary>
    public const string ClusterVariable = "STREAMRAG_TEST_CLUSTER";

    /// <summary>Partitions per tenant on a cluster: one per master of the local cluster.</summary>
    public const int ClusterShards = 3;

    private RedisContainer? container;
    private int localPort;
    private int clusterPort;
    private string? localDir;

    /// <summary>StackExchange.Redis configuration string of the server.</summary>
    public string Configuration { get; private set; } = "";

    /// <summary>Where the server came from, for test output.</summary>
    public string Origin { get; private set; } = "";

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    /// <summary>True when the server is a Redis Cluster.</summary>
    public bool IsCluster { get; private set; }

    public int Shards => IsCluster ? ClusterShards : 1;

    /// <summary>First port and data folder of the cluster this fixture started (null otherwise).</summary>
    public (int Port, string Directory)? LocalCluster => clusterPort == 0 ? null : (clusterPort, localDir!);

    /// <summary>Skips the test unless the server is a Redis Cluster.</summary>
    public void RequireCluster()
    {
        if (!IsCluster)
        {
            Assert.Skip($"needs a Redis Cluster: ./test.sh cluster runs it ({ClusterVariable}=1)");
        }
    }

    public async ValueTask InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable("STREAMRAG_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(given))
        {
            (Configuration, Origin) = (given, "STREAMRAG_TEST_REDIS");
        }
        else if (Environment.GetEnvironmentVariable(ClusterVariable) == "1")
        {
            (Configuration, Origin) = (await StartClusterAsync(), "deploy/redis.sh cluster (local)");
        }
        else if (await TryStartContainerAsync() is { } fromDocker)
        {
            (Configuration, Origin) = (fromDocker, "Testcontainers redis:8");
        }
        else
        {
            (Configuration, Origin) = (await StartLocalAsync(), "deploy/redis.sh (local)");
        }

        Connection = await ConnectionMultiplexer.ConnectAsync(ConfigurationOptions.Parse(Configuration) is var o && (o.AllowAdmin = true) ? o : o);
        IsCluster = Connection.GetServers().Any(s => s.ServerType == ServerType.Cluster);
    }

    private async Task<string?> TryStartContainerAsync()
    {
        // Fail over fast when no engine answers: Docker's client alone is not enough.
        if (!File.Exists("/var/run/docker.sock") && Environment.GetEnvironmentVariable("DOCKER_HOST") is null)
        {
            return null;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            container = new RedisBuilder("redis:8").Build();
            await container.StartAsync(timeout.Token);
            return container.GetConnectionString();
        }
        catch (Exception)
        {
            if (container is not null)
            {
                await container.DisposeAsync();
                container = null;
            }

            return null;
        }
    }

    private async Task<string> StartLocalAsync()
    {
        localPort = LoopbackPorts.Any();
        localDir = Directory.CreateTempSubdirectory("streamrag-test-redis-").FullName;
        // No persistence for tests: faster, and nothing to clean but the folder.
        await RunScriptAsync("start", localPort.ToString(System.Globalization.CultureInfo.InvariantCulture), localDir, "--appendonly", "no", "--maxmemory", "4gb");
        return $"127.0.0.1:{localPort}";
    }

    private async Task<string> StartClusterAsync()
    {
        clusterPort = LoopbackPorts.Range(6, busOffset: 10000);
        localDir = Directory.CreateTempSubdirectory("streamrag-test-cluster-").FullName;
        var port = clusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (await RunScriptAsync("cluster", port, localDir, "--appendonly", "no", "--maxmemory", "1gb")).Trim();
    }

    /// <summary>
    /// A separate local server for a test that changes server-wide state (maxmemory, shutdown,
    /// client kills), so the tests sharing the main server are not disturbed.
    /// </summary>
    public static Task<DedicatedRedisServer> StartDedicatedAsync(params string[] extraArgs) =>
        StartDedicatedAsync(extraArgs, credentials: null);

    /// <param name="credentials">Appended to the test's own connection string, e.g. <c>user=admin,password=…</c> for a server with an ACL file.</param>
    public static async Task<DedicatedRedisServer> StartDedicatedAsync(IReadOnlyList<string> extraArgs, string? credentials)
    {
        ArgumentNullException.ThrowIfNull(extraArgs);
        var port = LoopbackPorts.Any();
        var dir = Directory.CreateTempSubdirectory("streamrag-test-redis-").FullName;
        var server = new DedicatedRedisServer(port, dir, ["--appendonly", "no", .. extraArgs], credentials);
        await server.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }

        if (container is not null)
        {
            await container.DisposeAsync();
        }

        if (localPort != 0 || clusterPort != 0)
        {
            await (localPort != 0
                ? RunScriptAsync("stop", localPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : RunScriptAsync("cluster-stop", clusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            try
            {
                Directory.Delete(localDir!, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRag.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamRag.sln not found above the test binaries");
    }

    /// <summary>Runs <c>deploy/redis.sh</c>; returns its standard output, throws with its messages when it fails.</summary>
    public static async Task<string> RunScriptAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await RunScriptAsync(new Dictionary<string, string>(), args);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"deploy/redis.sh {string.Join(' ', args)} failed ({exitCode}): {stderr}{stdout}");
        }

        return stdout;
    }

    /// <summary>Runs <c>deploy/redis.sh</c> with extra environment variables; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunScriptAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var root = RepositoryRoot();
        var start = new ProcessStartInfo(Path.Combine(root, "deploy", "redis.sh")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>
/// A Redis server started for one test and stopped when it is disposed. It can be stopped and
/// started again on the same port, with the same data folder and arguments (an AOF restart).
/// </summary>
public sealed class DedicatedRedisServer : ITestRedisServer, IAsyncDisposable
{
    /// <summary>Client name of the test's own connection, so a test can kill every other client.</summary>
    public const string TestClientName = "streamrag-test";

    private readonly string[] args;
    private readonly string? credentials;
    private ConnectionMultiplexer? connection;

    internal DedicatedRedisServer(int port, string directory, string[] args, string? credentials)
    {
        Port = port;
        Directory = directory;
        this.args = args;
        this.credentials = credentials;
        Configuration = $"127.0.0.1:{port}";
    }

    /// <summary>Configuration string without credentials (append <c>,user=…,password=…</c> for ACL users).</summary>
    public string Configuration { get; }

    /// <summary>The test's own connection (with the credentials given at start), which reconnects after a restart.</summary>
    public ConnectionMultiplexer Connection => connection ?? throw new InvalidOperationException("the server was never started");

    public int Port { get; }

    public string Directory { get; }

    public IServer Server => Connection.GetServer(Configuration);

    /// <summary>Starts the server (again) on its port with its folder and arguments; returns once it answers PING.</summary>
    public async Task StartAsync()
    {
        await RedisServerFixture.RunScriptAsync(["start", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Directory, .. args]);
        if (connection is null)
        {
            var options = ConfigurationOptions.Parse($"{Configuration},allowAdmin=true,name={TestClientName}{(credentials is null ? "" : "," + credentials)}");
            options.AbortOnConnectFail = false;
            connection = await ConnectionMultiplexer.ConnectAsync(options);
        }
    }

    /// <summary>SHUTDOWN (the AOF, when on, is flushed first), then waits until the process is gone.</summary>
    public async Task ShutdownAsync(bool save = true)
    {
        var pid = ReadPid();
        try
        {
            await Connection.GetDatabase().ExecuteAsync("SHUTDOWN", save ? [] : ["NOSAVE"]);
        }
        catch (RedisException)
        {
            // The server closes the connection instead of answering: that is success.
        }

        await WaitExitedAsync(pid, TimeSpan.FromSeconds(20));
    }

    /// <summary>Stops and starts the server on the same port and folder; with AOF on, it reloads its data.</summary>
    public async Task RestartAsync()
    {
        await ShutdownAsync();
        await StartAsync();
    }

    private int? ReadPid()
    {
        var file = Path.Combine(Directory, "redis.pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
    }

    private static async Task WaitExitedAsync(int? pid, TimeSpan timeout)
    {
        if (pid is not { } id)
        {
            return;
        }

        var until = DateTime.UtcNow + timeout;
        while (File.Exists($"/proc/{id}") && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        if (File.Exists($"/proc/{id}"))
        {
            try
            {
                using var process = Process.GetProcessById(id);
                process.Kill();
                await process.WaitForExitAsync();
            }
            catch (ArgumentException)
            {
                // Gone in the meantime.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            if (connection.IsConnected)
            {
                await ShutdownAsync(save: false);
            }

            await connection.DisposeAsync();
        }

        // A server that never got a connection is stopped through the script (no credentials needed by default).
        await WaitExitedAsync(ReadPid(), TimeSpan.Zero);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
