using StreamRag.Hosting;
using StreamRag.Query;

// 9465: this host's default scrape port (docs/operations.md, deploy/prometheus/prometheus.yml); Metrics:PrometheusPort=0 turns it off.
return await StreamRagHost.RunAsync(args, 9465, b => b.AddQueryWorker());
