using StreamRag.Hosting;
using StreamRag.Sweeper;

// 9466: this host's default scrape port (docs/operations.md, deploy/prometheus/prometheus.yml); Metrics:PrometheusPort=0 turns it off.
return await StreamRagHost.RunAsync(args, 9466, b => b.AddSweeperWorker());
