using StreamRag.Hosting;
using StreamRag.Embedder;

var builder = Host.CreateApplicationBuilder(args);
// The process's own scrape port (docs/operations.md); set Metrics:PrometheusPort=0 to turn it off.
builder.AddDefaultSettings(new Dictionary<string, string?> { ["Metrics:PrometheusPort"] = "9464" });
builder.AddEmbedderWorker();
await builder.Build().RunAsync();
