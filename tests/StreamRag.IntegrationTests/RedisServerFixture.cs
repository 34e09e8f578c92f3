using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Testcontainers.Redis;

[assembly: AssemblyFixture(typeof(StreamRag.IntegrationTests.RedisServerFixture))]

namespace StreamRag.IntegrationTests;

/// <summary>
/// The one Redis 8 server all integration tests share (each test isolates itself with its own key
/// prefix). Where it comes from, in order: <c>STREAMRAG_TEST_REDIS</c>; a <c>redis:8</c> container
/// when a Docker engine answers; else a local server started from <c>deploy/redis.sh</c> on a free
/// port and stopped afterwards.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime, ITestRedisServer
{
    private RedisContainer? container;
    private int localPort;
    private string? localDir;

    /// <summary>StackExchange.Redis configuration string of the server.</summary>
    public string Configuration { get; private set; } = "";

    /// <summary>Where the server came from, for test output.</summary>
    public string Origin { get; private set; } = "";

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable("STREAMRAG_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(given))
        {
            (Configuration, Origin) = (given, "STREAMRAG_TEST_REDIS");
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
        localPort = FreePort();
        localDir = Directory.CreateTempSubdirectory("streamrag-test-redis-").FullName;
        // No persistence for tests: faster, and nothing to clean but the folder.
        await RunScriptAsync("start", localPort.ToString(System.Globalization.CultureInfo.InvariantCulture), localDir, "--appendonly", "no", "--maxmemory", "4gb");
        return $"127.0.0.1:{localPort}";
    }

    /// <summary>
    /// A separate local server for a test that changes server-wide state (maxmemory, shutdown,
    /// client kills), so the tests sharing the main server are not disturbed.
    /// </summary>
    public static async Task<DedicatedRedisServer> StartDedicatedAsync(params string[] extraArgs)
    {
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("streamrag-test-redis-").FullName;
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RunScriptAsync(["start", portText, dir, "--appendonly", "no", .. extraArgs]);
        var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
        return new DedicatedRedisServer($"127.0.0.1:{port}", port, dir, connection);
    }

    internal static Task StopLocalAsync(int port) => RunScriptAsync("stop", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

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

        if (localPort != 0)
        {
            await RunScriptAsync("stop", localPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
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

    internal static async Task RunScriptAsync(params string[] args)
    {
        var root = RepositoryRoot();
        var start = new ProcessStartInfo(Path.Combine(root, "deploy", "redis.sh")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/redis.sh {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A Redis server started for one test and stopped when it is disposed.</summary>
public sealed class DedicatedRedisServer(string configuration, int port, string directory, ConnectionMultiplexer connection) : ITestRedisServer, IAsyncDisposable
{
    public string Configuration { get; } = configuration;

    public ConnectionMultiplexer Connection { get; } = connection;

    public int Port { get; } = port;

    public string Directory { get; } = directory;

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await RedisServerFixture.StopLocalAsync(Port);
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
