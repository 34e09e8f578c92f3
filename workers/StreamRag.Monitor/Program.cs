using StreamRag.Hosting;
using StreamRag.Monitor;

// 9467: this host's default scrape port (docs/operations.md, deploy/prometheus/prometheus.yml); Metrics:PrometheusPort=0 turns it off.
return await StreamRagHost.RunAsync(args, 9467, b => b.AddMonitorWorker());
