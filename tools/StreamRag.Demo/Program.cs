using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Hosting;
using StreamRag.Index;
using StreamRag.Redis;

// The demo an operator runs against a live fleet: ingest the bundled corpus through the
// document-events stream, wait until it is searchable, ask the bundled questions through the
// query stream and print each answer with its latency. Exits 1 if an answer names the wrong document.
var corpus = args.ElementAtOrDefault(0) ?? "demo/corpus";
var questionsFile = args.ElementAtOrDefault(1) ?? "demo/questions.tsv";

var builder = Host.CreateApplicationBuilder();
builder.AddStreamRagCore();
using var host = builder.Build();
var services = host.Services;
var redis = await services.GetRequiredService<RedisConnections>().GetSharedAsync();
var index = services.GetRequiredService<IVectorIndex>();
await using var client = new StreamRagClient(redis, services.GetRequiredService<KeySchema>());
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

var version = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
var files = Directory.GetFiles(corpus, "*.md").Order(StringComparer.Ordinal).ToArray();
Console.WriteLine($"Ingesting {files.Length} documents from {corpus} through the document-events stream…");
var ingest = Stopwatch.StartNew();
foreach (var file in files)
{
    var id = Path.GetFileNameWithoutExtension(file);
    await client.UpsertDocumentAsync(new DocumentUpsert(id, version, await File.ReadAllTextAsync(file, timeout.Token)) { Source = "demo", Tags = ["demo"] }, timeout.Token);
}

foreach (var file in files)
{
    var id = Path.GetFileNameWithoutExtension(file);
    while ((await index.GetStateAsync(DocumentEventParser.DefaultTenant, id, timeout.Token))?.Version is not { } indexed || indexed < version)
    {
        await Task.Delay(20, timeout.Token);
    }
}

Console.WriteLine($"All {files.Length} documents searchable after {ingest.ElapsedMilliseconds} ms.\n");

var wrong = 0;
var questions = (await File.ReadAllLinesAsync(questionsFile, timeout.Token)).Where(l => l.Contains('\t', StringComparison.Ordinal)).ToArray();
foreach (var line in questions)
{
    var parts = line.Split('\t');
    var (question, expected) = (parts[0], parts[1]);
    var clock = Stopwatch.StartNew();
    var reply = await client.QueryAsync(question, new QueryOptions { K = 3, Mode = QueryMode.Answer }, timeout.Token);
    var roundTrip = clock.Elapsed.TotalMilliseconds;
    if (reply.Status != QueryReply.StatusOk)
    {
        Console.WriteLine($"Q: {question}\n   error {reply.Error?.Code}: {reply.Error?.Message}\n");
        wrong++;
        continue;
    }

    var best = reply.Results.Count > 0 ? reply.Results[0] : null;
    var ok = best?.Id == expected;
    wrong += ok ? 0 : 1;
    var excerpt = best is null ? "(no result)" : Excerpt(best.Content);
    Console.WriteLine($"Q: {question}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"   {(ok ? "✓" : "✗")} {best?.Id ?? "-"} (score {best?.Score:0.000}; expected {expected}) — {roundTrip:0.00} ms round trip, search {reply.Timings.SearchMs:0.00} ms"));
    Console.WriteLine($"   {excerpt}");
    Console.WriteLine($"   cites: {string.Join(", ", reply.Answer?.Citations ?? [])}\n");
}

Console.WriteLine($"{questions.Length - wrong} of {questions.Length} answers name the expected document.");
return wrong == 0 ? 0 : 1;

static string Excerpt(string content)
{
    var text = string.Join(' ', content.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    return text.Length <= 140 ? text : text[..140] + "…";
}
