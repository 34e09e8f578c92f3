using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamRag.Admin;
using StreamRag.Hosting;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Redis;

// Operator tool for the Query Engine (FT.*) index engine; reads the same configuration as the
// workers (appsettings, environment variables such as Redis__Configuration,
// --Key=Value arguments). See docs/search-engine.md. `streamrag reindex` / `migrate` run the same
// operations (StreamRag.Admin.SearchIndexCommands).
//
//   status                 the index behind the alias, its statistics and how it differs from the configuration
//   create                 create the index and alias if missing (what every host does at start-up)
//   migrate [--timeout=T]  build a new index with the configured schema, switch the alias, drop the old one
//                          (FT.DROPINDEX without DD: the chunk hashes stay); T defaults to 01:00:00
//   reshard --to=M         vector-set engine: change every tenant's shard count to M online (ShardCountChange;
//                          docs/keys.md#changing-the-shard-count); exit 1 if it stopped short (run it again:
//                          with M it resumes, with the old count it rolls back before the switch)
//
// Exit codes: 0 done / matches, 1 failed, 2 the running index differs from the configuration, 3 no index.
var command = args.FirstOrDefault() ?? "";
if (command is not ("status" or "create" or "migrate" or "reshard"))
{
    Console.Error.WriteLine("usage: StreamRag.IndexAdmin status | create | migrate [--timeout=01:00:00] | reshard --to=M [--Redis:Configuration=host:port] [--Index:M=32 ...]");
    return 1;
}

var builder = Host.CreateApplicationBuilder(args.Skip(1).ToArray());
builder.AddStreamRagCore();
using var host = builder.Build();
var keys = host.Services.GetRequiredService<KeySchema>();
var options = host.Services.GetRequiredService<IOptions<IndexOptions>>().Value;
var db = (await host.Services.GetRequiredService<RedisConnections>().GetSharedAsync()).GetDatabase();
var commands = new SearchIndexCommands(db, keys, options, host.Services.GetRequiredService<IOptions<SearchIndexOptions>>().Value, Console.Out, TimeProvider.System);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

if (command == "reshard")
{
    if (!int.TryParse(builder.Configuration["to"], NumberStyles.None, CultureInfo.InvariantCulture, out var shards) || shards is < 1 or > RedisOptions.MaxShards)
    {
        Console.Error.WriteLine("reshard: give the shard count to change to, 1 to 1024 (--to=3)");
        return 1;
    }

    try
    {
        var report = await new ShardCountChange(host.Services.GetRequiredService<RedisConnections>(), keys, options, TimeProvider.System, Console.Out).RunAsync(shards, stop.Token);
        Console.WriteLine(report.Summary);
        return report.Finished ? 0 : 1;
    }
    catch (ShardCountChangeException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        // Every step is recorded before it is taken: a re-run resumes (or, with the old count, rolls back).
        Console.Error.WriteLine($"reshard: stopped during the change; run reshard --to={shards} again to resume it, or with the old shard count to roll it back (before the switch)");
        return 1;
    }
}

try
{
    return command switch
    {
        "status" => await commands.StatusAsync(stop.Token),
        "create" => await commands.CreateAsync(stop.Token),
        _ => await commands.MigrateAsync(TimeSpan.Parse(builder.Configuration["timeout"] ?? "01:00:00", CultureInfo.InvariantCulture), stop.Token),
    };
}
catch (QueryEngineUnavailableException ex)
{
    Console.Error.WriteLine(ex.Message);
    return SearchIndexCommands.Failed;
}
