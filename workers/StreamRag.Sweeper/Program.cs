using Microsoft.Extensions.Configuration.Memory;
using StreamRag.Sweeper;

var builder = Host.CreateApplicationBuilder(args);
// Default scrape port of this host (deploy/prometheus/prometheus.yml); any configuration source overrides it.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = [new("Metrics:PrometheusPort", "9466")] });
builder.AddSweeperWorker();
await builder.Build().RunAsync();
