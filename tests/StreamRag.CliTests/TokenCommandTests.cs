using System.Text.RegularExpressions;

namespace StreamRag.CliTests;

/// <summary>keys new and token issue, then ingest and ask with the tokens against a fleet that requires them.</summary>
public sealed partial class TokenCommandTests(RedisServerFixture redis) : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("streamrag-cli-tokens-");

    public void Dispose() => folder.Delete(recursive: true);

    [Fact]
    public async Task KeysNew_TokenIssue_IngestAndAskWithTokens_AndWithoutAreRefused()
    {
        await using var scope = new TestScope(redis);
        var keys = folder.CreateSubdirectory("keys").FullName;
        var made = await Cli.RunAsync(scope, "keys", "new", "--out", keys);
        Assert.True(made.ExitCode == 0, made.Output + made.Error);
        var kid = KidLine().Match(made.Output).Groups[1].Value;
        var privateKey = Path.Combine(keys, $"{kid}.key");
        var publicKey = Path.Combine(keys, $"{kid}.pub.pem");
        Assert.True(File.Exists(privateKey) && File.Exists(publicKey), made.Output);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(privateKey));
        }

        Assert.Equal(2, (await Cli.RunAsync(scope, "keys", "new", "--out", keys, "--kid", kid)).ExitCode); // never overwrites

        async Task<string> IssueAsync(string scopeName)
        {
            var run = await Cli.RunAsync(scope, "token", "issue", "--tenant", "acme", "--scope", scopeName, "--ttl", "1h", "--key", privateKey);
            Assert.True(run.ExitCode == 0, run.Output + run.Error);
            return run.Output.Trim();
        }

        var write = await IssueAsync("write");
        var query = await IssueAsync("query");
        Assert.Equal(3, write.Split('.').Length);

        (string, string)[] required = [("Security:Tokens:Mode", "Required"), ("Security:Tokens:Keys:0:Kid", kid), ("Security:Tokens:Keys:0:PublicKeyFile", publicKey)];
        await scope.StartEmbedderAsync(required);
        await scope.StartQueryWorkerAsync(required);
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "sweeper.md"), "The retention sweeper deletes expired documents from the index on time.", TestContext.Current.CancellationToken);
        var ingested = await Cli.RunAsync(scope, "ingest", Path.Combine(folder.FullName, "sweeper.md"), "--tenant", "acme", "--token", write, "--json");
        Assert.True(ingested.ExitCode == 0, ingested.Output + ingested.Error);

        var asked = await Cli.RunAsync(scope, "ask", "Which host deletes expired documents?", "--tenant", "acme", "--token", query, "--search", "--json");
        Assert.True(asked.ExitCode == 0, asked.Output + asked.Error);
        Assert.Equal("sweeper.md", asked.Json.GetProperty("reply").GetProperty("results")[0].GetProperty("id").GetString());

        var refused = await Cli.RunAsync(scope, "ask", "Which host deletes expired documents?", "--tenant", "acme", "--token", write, "--search");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("unauthorized", refused.Error, StringComparison.Ordinal);
        Assert.Contains("scope not granted", refused.Error, StringComparison.Ordinal);

        // Usage errors: one line, exit 2.
        var colon = await Cli.RunAsync(scope, "token", "issue", "--tenant", "a:b", "--scope", "query", "--key", privateKey);
        Assert.Equal(2, colon.ExitCode);
        Assert.Contains("--tenant: 'a:b'", colon.Error, StringComparison.Ordinal);
        var publicAsPrivate = await Cli.RunAsync(scope, "token", "issue", "--tenant", "acme", "--scope", "query", "--key", publicKey);
        Assert.Equal(2, publicAsPrivate.ExitCode);
        Assert.Contains("is not an EC private key", publicAsPrivate.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await Cli.RunAsync(scope, "token", "issue", "--tenant", "acme", "--scope", "admin", "--key", privateKey)).ExitCode);
    }

    [GeneratedRegex(@"^kid: (\S+)", RegexOptions.Multiline)]
    private static partial Regex KidLine();
}
