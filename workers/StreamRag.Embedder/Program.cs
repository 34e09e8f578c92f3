using StreamRag.Embedder;

var builder = Host.CreateApplicationBuilder(args);
builder.AddEmbedderWorker();
await builder.Build().RunAsync();
