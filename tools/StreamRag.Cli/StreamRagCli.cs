using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Cli.Commands;

namespace StreamRag.Cli;

/// <summary>The <c>streamrag</c> command tree; tests run it in-process with a recording console.</summary>
public static class StreamRagCli
{
    public static Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter error, CancellationToken cancellation)
    {
        var environment = new CliEnvironment(error, TimeProvider.System, cancellation);
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("streamrag");
            config.ConfigureConsole(console);
            config.Settings.Registrar.RegisterInstance(environment);
            config.UseStrictParsing();
            // Parse errors and bad option values: one line, exit 2.
            config.SetExceptionHandler((ex, _) =>
            {
                error.WriteLine($"streamrag: {ex.Message.Split('\n')[0].TrimEnd('\r')}");
                return ExitCodes.Usage;
            });

            config.AddCommand<IngestCommand>("ingest")
                .WithDescription("Post .md, .txt and .jsonl files as documents and follow them until searchable")
                .WithExample("ingest", "demo/corpus", "--source", "demo", "--tags", "demo");
            config.AddCommand<AskCommand>("ask")
                .WithDescription("Ask a question: the answer, its citations, the passages and the timings")
                .WithExample("ask", "\"How are expired documents removed?\"", "-k", "3");
            config.AddCommand<WatchCommand>("watch")
                .WithDescription("Watch for new passages that answer a question, printed as they are indexed, until Ctrl-C")
                .WithExample("watch", "\"How are expired documents removed?\"", "--threshold", "0.6");
            config.AddCommand<StatusCommand>("status")
                .WithDescription("Index, memory, streams and groups, dead letters, alerts and the live search EF");
            config.AddBranch("dlq", dlq =>
            {
                dlq.SetDescription("Dead letters of document events and query requests");
                dlq.AddCommand<DeadLetterListCommand>("list").WithDescription("The newest dead letters with their reasons");
                dlq.AddCommand<DeadLetterShowCommand>("show").WithDescription("One dead letter with all its fields");
                dlq.AddCommand<DeadLetterReplayCommand>("replay").WithDescription("Re-post dead letters' original fields to their stream and remove them");
                dlq.AddCommand<DeadLetterPurgeCommand>("purge").WithDescription("Delete every dead letter of a stream (needs --yes)");
            });
            config.AddCommand<ReindexCommand>("reindex")
                .WithDescription("Query Engine index: create it if missing and wait until every chunk is indexed (--check: status only)");
            config.AddCommand<MigrateCommand>("migrate")
                .WithDescription("Query Engine index: build one with the configured schema, switch the alias, drop the old one");
            config.AddBranch("keys", keys =>
            {
                keys.SetDescription("Signing keys of tenant tokens");
                keys.AddCommand<KeysNewCommand>("new").WithDescription("Write a new ES256 key pair (private key + public PEM) and print its kid");
            });
            config.AddBranch("token", token =>
            {
                token.SetDescription("Signed tenant tokens (docs/security.md)");
                token.AddCommand<TokenIssueCommand>("issue").WithDescription("Print a token granting tenants a scope, signed with a private key")
                    .WithExample("token", "issue", "--tenant", "acme", "--scope", "query", "--ttl", "30d", "--key", "acme.key");
            });
            config.AddCommand<ReshardCommand>("reshard")
                .WithDescription("Vector-set index: change the shard count online (copy every document to its new partition, switch, remove the old)")
                .WithExample("reshard", "--to", "3");
        });
        return app.RunAsync(args, cancellation);
    }
}
