using StreamRag.Hosting;

// The sweeper host: shares the fleet's wiring; its work arrives in a later release.
var builder = Host.CreateApplicationBuilder(args);
builder.AddStreamRagCore();
await builder.Build().RunAsync();
