using StreamRag.Query;

var builder = Host.CreateApplicationBuilder(args);
builder.AddQueryWorker();
await builder.Build().RunAsync();
