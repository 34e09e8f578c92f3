using Microsoft.Extensions.Configuration.Memory;
using StreamRag.Sweeper;

var builder = Host.CreateApplicationBuilder(args);
// Default scrape port of this host (deploy/prometheus/prometheus.yml); any configuration source overrides it.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = [new("Metrics:PrometheusPort", "9466")] });
try
{
    builder.AddSweeperWorker();
}
catch (StreamRag.Hosting.HostStartupException e)
{
    // A setting to change, not a bug: one line, no stack trace.
    Console.Error.WriteLine(e.Message);
    return 2;
}

await builder.Build().RunAsync();
return 0;
