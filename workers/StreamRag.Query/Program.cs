using StreamRag.Hosting;
using StreamRag.Query;

var builder = Host.CreateApplicationBuilder(args);
// The process's own scrape port (docs/operations.md); set Metrics:PrometheusPort=0 to turn it off.
builder.AddDefaultSettings(new Dictionary<string, string?> { ["Metrics:PrometheusPort"] = "9465" });
builder.AddQueryWorker();
await builder.Build().RunAsync();
