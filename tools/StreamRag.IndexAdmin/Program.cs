using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamRag.Hosting;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Redis;

// Operator tool for the Query Engine (FT.*) index engine; reads the same configuration as the
// workers (appsettings, environment variables such as Redis__Configuration,
// --Key=Value arguments). See docs/search-engine.md.
//
//   status                 the index behind the alias, its statistics and how it differs from the configuration
//   create                 create the index and alias if missing (what every host does at start-up)
//   migrate [--timeout=T]  build a new index with the configured schema, switch the alias, drop the old one
//                          (FT.DROPINDEX without DD: the chunk hashes stay); T defaults to 01:00:00
//
// Exit codes: 0 done / matches, 1 failed, 2 the running index differs from the configuration, 3 no index.
var command = args.FirstOrDefault() ?? "";
if (command is not ("status" or "create" or "migrate"))
{
    Console.Error.WriteLine("usage: StreamRag.IndexAdmin status | create | migrate [--timeout=01:00:00] [--Redis:Configuration=host:port] [--Index:M=32 ...]");
    return 1;
}

var builder = Host.CreateApplicationBuilder(args.Skip(1).ToArray());
builder.AddStreamRagCore();
using var host = builder.Build();
var keys = host.Services.GetRequiredService<KeySchema>();
var options = host.Services.GetRequiredService<IOptions<IndexOptions>>().Value;
var db = (await host.Services.GetRequiredService<RedisConnections>().GetSharedAsync()).GetDatabase();
var admin = new SearchIndexAdmin(keys, options);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var (available, probe) = await SearchIndexAdmin.ProbeAsync(db);
if (!available)
{
    Console.Error.WriteLine($"This Redis server has no Query Engine (FT._LIST: {probe}); the search engine cannot run here.");
    return 1;
}

Console.WriteLine($"alias:      {admin.Alias}");
Console.WriteLine($"configured: {admin.ConfiguredSchema}");
switch (command)
{
    case "status":
        var status = await admin.InspectAsync(db, stop.Token);
        if (status is null)
        {
            Console.WriteLine("running:    none (a host creates it at start-up, or run 'create')");
            return 3;
        }

        return Report(status);

    case "create":
        var shownPercent = -1;
        var (ensured, created) = await admin.EnsureAsync(db, TimeProvider.System, building =>
        {
            // One line per whole percent: FT.INFO is read ten times a second.
            if ((int)(building.PercentIndexed * 100) is var percent && percent != shownPercent)
            {
                shownPercent = percent;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"building:   {building.PhysicalName} {percent} % indexed, {building.Documents} chunks"));
            }
        }, stop.Token);
        Console.WriteLine(created ? $"created:    {ensured.PhysicalName}" : $"exists:     {ensured.PhysicalName}");
        return Report(ensured);

    default:
        var current = await admin.InspectAsync(db, stop.Token);
        if (current is null)
        {
            Console.WriteLine("running:    none; nothing to migrate (run 'create')");
            return 3;
        }

        if (current.Matches)
        {
            Report(current);
            Console.WriteLine("The running index already has the configured schema; nothing to migrate.");
            return 0;
        }

        Report(current);
        var timeout = TimeSpan.Parse(builder.Configuration["timeout"] ?? "01:00:00", CultureInfo.InvariantCulture);
        var result = await admin.MigrateAsync(db, TimeSpan.FromSeconds(1), timeout, line => Console.WriteLine($"  {line}"), TimeProvider.System, stop.Token);
        Console.WriteLine(result.Message);
        return result.Switched ? 0 : 1;
}

static int Report(SearchIndexStatus status)
{
    Console.WriteLine($"running:    {status.PhysicalName}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"chunks:     {status.Documents} ({status.IndexingFailures} failed to index, {status.PercentIndexed:P0} indexed{(status.Indexing ? ", scanning" : "")})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"memory:     {status.TotalMemoryBytes / 1048576.0:0.0} MiB ({status.VectorMemoryBytes / 1048576.0:0.0} MiB vectors)"));
    if (status.Matches)
    {
        Console.WriteLine("schema:     matches the configuration");
        return 0;
    }

    Console.WriteLine("schema:     DIFFERS from the configuration:");
    foreach (var difference in status.Differences)
    {
        Console.WriteLine($"  - {difference}");
    }

    Console.WriteLine("Run 'migrate' to build an index with the configured schema and switch to it.");
    return 2;
}
