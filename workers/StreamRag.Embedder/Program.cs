using StreamRag.Embedder;
using StreamRag.Hosting;

// 9464: this host's default scrape port (docs/operations.md, deploy/prometheus/prometheus.yml); Metrics:PrometheusPort=0 turns it off.
return await StreamRagHost.RunAsync(args, 9464, b => b.AddEmbedderWorker());
