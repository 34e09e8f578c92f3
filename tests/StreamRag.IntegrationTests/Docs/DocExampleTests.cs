using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace StreamRag.IntegrationTests.Docs;

/// <summary>
/// Every command and code example of README.md and docs/*.md runs against a live fleet: fenced blocks
/// marked <c>bash test</c> (redis-cli lines; <c>background expect=TEXT</c> for a subscriber that must
/// print TEXT), <c>python test</c> (with /usr/bin/python3) and <c>csharp test</c> (compiled outside the
/// repository against StreamRag.Client with warnings as errors, then run). The examples are written
/// for <c>./run.sh</c> (port 6390, prefix <c>rag</c>); the test changes only the port and the prefix.
/// </summary>
[Collection(ProcessMetricsCollection.Name)]
public sealed partial class DocExampleTests(RedisServerFixture redis)
{
    private static readonly string[] Runnable = ["bash", "sh", "shell", "console", "python", "py", "csharp", "cs", "c#"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal sealed record Block(string Page, int Line, string Language, IReadOnlyList<string> Options, string Code)
    {
        public bool Test => Options.Contains("test");

        public string? Option(string name) => Options.FirstOrDefault(o => o.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

        public override string ToString() => $"{Page}:{Line}";
    }

    internal static IEnumerable<string> Pages()
    {
        var root = RedisServerFixture.RepositoryRoot();
        yield return Path.Combine(root, "README.md");
        foreach (var page in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            yield return page;
        }
    }

    internal static IReadOnlyList<Block> Blocks(string page)
    {
        var lines = File.ReadAllLines(page);
        var blocks = new List<Block>();
        var name = Path.GetRelativePath(RedisServerFixture.RepositoryRoot(), page);
        for (var i = 0; i < lines.Length; i++)
        {
            var open = FenceRegex().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            var indent = open.Groups[1].Value.Length;
            var info = open.Groups[2].Value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var code = new StringBuilder();
            var start = i + 1;
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                code.AppendLine(lines[i].Length >= indent ? lines[i][indent..] : lines[i].TrimStart());
            }

            blocks.Add(new Block(name, start, info.FirstOrDefault() ?? "", info.Skip(1).ToArray(), code.ToString()));
        }

        return blocks;
    }

    [GeneratedRegex(@"^( *)```(.*)$")]
    private static partial Regex FenceRegex();

    [Fact]
    public void EveryFencedBlock_SaysWhetherItRuns()
    {
        var problems = new List<string>();
        foreach (var block in Pages().SelectMany(Blocks))
        {
            if (block.Language.Length == 0)
            {
                problems.Add($"{block}: a fenced block without an info string (mark it text, json, or a language with test / no-run)");
            }
            else if (Runnable.Contains(block.Language) && !block.Test && !block.Options.Contains("no-run"))
            {
                problems.Add($"{block}: a {block.Language} block marked neither test nor no-run");
            }
            else if (block.Test && block.Language is not ("bash" or "python" or "csharp"))
            {
                problems.Add($"{block}: this test runs bash, python and csharp blocks, not {block.Language}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Contains(Pages().SelectMany(Blocks), b => b.Test && b.Language == "csharp");
        Assert.Contains(Pages().SelectMany(Blocks), b => b.Test && b.Language == "python");
    }

    public static TheoryData<string> PagesWithExamples() =>
        new(Pages().Where(p => Blocks(p).Any(b => b.Test)).Select(p => Path.GetRelativePath(RedisServerFixture.RepositoryRoot(), p)));

    [Theory]
    [MemberData(nameof(PagesWithExamples))]
    public async Task Examples_RunAgainstALiveFleet(string page)
    {
        var endpoint = ConfigurationOptions.Parse(redis.Configuration).EndPoints[0];
        var (host, port) = endpoint switch
        {
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => (dns.Host, dns.Port),
            _ => throw new InvalidOperationException($"unexpected end point {endpoint}"),
        };
        if (host is not ("127.0.0.1" or "localhost") || redis.Configuration.Contains("password", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Skip($"the examples talk to a local Redis without a password; the test server is {host}");
        }

        await using var scope = new TestScope(redis);
        await DocFleet.StartAsync(scope);
        string Adapt(string code) => PrefixRegex().Replace(code.Replace("6390", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), scope.Prefix + ":")
            .Replace("\"rag\"", $"\"{scope.Prefix}\"", StringComparison.Ordinal);

        var blocks = Blocks(Path.Combine(RedisServerFixture.RepositoryRoot(), page)).Where(b => b.Test).ToArray();
        var background = new List<(Block Block, Background Process)>();
        try
        {
            for (var i = 0; i < blocks.Length; i++)
            {
                var block = blocks[i];
                switch (block.Language)
                {
                    case "bash" when block.Options.Contains("background"):
                        background.Add((block, await Background.StartAsync(BashScript(Adapt(block.Code)))));
                        break;
                    case "bash":
                        await RunAsync(block, "bash", ["-c", BashScript(Adapt(block.Code))], TimeSpan.FromSeconds(60));
                        break;
                    case "python":
                        // Consecutive Python blocks are one program (later ones use what earlier ones defined).
                        var program = new StringBuilder(Adapt(block.Code));
                        while (i + 1 < blocks.Length && blocks[i + 1].Language == "python")
                        {
                            program.Append(Adapt(blocks[++i].Code));
                        }

                        await RunPythonAsync(block, program.ToString());
                        break;
                    case "csharp":
                        await RunCSharpAsync(block, Adapt(block.Code));
                        break;
                }
            }

            foreach (var (block, process) in background)
            {
                if (block.Option("expect") is { } expected)
                {
                    await TestScope.EventuallyAsync(() => Task.FromResult(process.Output.Contains(expected, StringComparison.Ordinal)),
                        $"{block} printed '{expected}'; it printed:\n{process.Output}", TimeSpan.FromSeconds(30));
                }
            }
        }
        finally
        {
            foreach (var (_, process) in background)
            {
                process.Dispose();
            }
        }
    }

    [GeneratedRegex(@"^(\(error\) )?(ERR|WRONGTYPE|NOPERM|NOSCRIPT|NOGROUP) ", RegexOptions.Multiline)]
    private static partial Regex ErrorReplyRegex();

    [GeneratedRegex(@"\brag:(?=[{a-z])")]
    private static partial Regex PrefixRegex();

    /// <summary>redis-cli is the one deploy/redis.sh unpacked, as the docs say; commands run from the repository root.</summary>
    private static string BashScript(string code) =>
        $"set -euo pipefail\ncd '{RedisServerFixture.RepositoryRoot()}'\nredis-cli() {{ deploy/redis.sh cli \"$@\"; }}\n{code}";

    private static async Task<string> RunAsync(Block block, string program, IReadOnlyList<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the example at {block} did not finish within {timeout.TotalSeconds:0} s");
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"the example at {block} failed ({program} exited with {process.ExitCode}):\n{output}");
        // redis-cli exits 0 after an error reply in a pipeline of commands: look for one.
        Assert.False(ErrorReplyRegex().IsMatch(output), $"the example at {block} got an error reply:\n{output}");
        return output;
    }

    private static async Task RunPythonAsync(Block block, string program)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            Assert.Skip("Debian's /usr/bin/python3 is not installed (deploy/tools.sh installs it with python3-redis)");
        }

        await RunAsync(block, python, ["-c", program], TimeSpan.FromSeconds(60));
    }

    /// <summary>Builds the snippet as a program of its own, outside the repository, against StreamRag.Client with warnings as errors, and runs it.</summary>
    private static async Task RunCSharpAsync(Block block, string code)
    {
        var dir = Directory.CreateTempSubdirectory("streamrag-doc-example-");
        try
        {
            var client = Path.Combine(RedisServerFixture.RepositoryRoot(), "shared", "StreamRag.Client", "StreamRag.Client.csproj");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "DocExample.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{client}" />
                  </ItemGroup>
                </Project>
                """, Ct);
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "Program.cs"), code, Ct);
            // Against the client as the solution built it (Release, before the tests): the repository's
            // build output is read, never written, so nothing else of the test run is disturbed.
            var build = await RunAsync(block, "dotnet", ["build", "-c", "Release", "-warnaserror", "-nologo", "-p:BuildProjectReferences=false"], TimeSpan.FromMinutes(10), dir.FullName);
            Assert.Contains(" 0 Warning(s)", build, StringComparison.Ordinal);
            await RunAsync(block, "dotnet", [Path.Combine(dir.FullName, "bin", "Release", "net10.0", "DocExample.dll")], TimeSpan.FromSeconds(90), dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A block that runs alongside the next ones (a subscriber), stopped at the end of the page.</summary>
    private sealed class Background : IDisposable
    {
        private readonly Process process;
        private readonly StringBuilder output = new();

        private Background(Process process) => this.process = process;

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public static async Task<Background> StartAsync(string script)
        {
            var process = new Process { StartInfo = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true } };
            var background = new Background(process);
            process.OutputDataReceived += (_, e) => background.Append(e.Data);
            process.ErrorDataReceived += (_, e) => background.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            // A subscriber must be listening before the next block publishes.
            await TestScope.EventuallyAsync(() => Task.FromResult(background.Output.Contains("subscribe", StringComparison.Ordinal) || process.HasExited),
                "the background example started listening", TimeSpan.FromSeconds(30));
            Assert.False(process.HasExited, $"the background example exited at once:\n{background.Output}");
            return background;
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }
}
