using StreamRag.Hosting;
using StreamRag.Query;

var builder = Host.CreateApplicationBuilder(args);
// The process's own scrape port (docs/operations.md); set Metrics:PrometheusPort=0 to turn it off.
builder.AddDefaultSettings(new Dictionary<string, string?> { ["Metrics:PrometheusPort"] = "9465" });
try
{
    builder.AddQueryWorker();
}
catch (StreamRag.Hosting.HostStartupException e)
{
    // A setting to change, not a bug: one line, no stack trace.
    Console.Error.WriteLine(e.Message);
    return 2;
}

await builder.Build().RunAsync();
return 0;
