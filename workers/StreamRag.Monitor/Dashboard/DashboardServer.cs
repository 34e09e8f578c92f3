using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace StreamRag.Monitor.Dashboard;

/// <summary>
/// Serves the live dashboard when <c>Dashboard:Port</c> is set: the page and its scripts (embedded in
/// this program at build time; the page loads nothing from elsewhere) and <c>/api/status</c>, the JSON
/// the page polls. A small Kestrel server of its own, started and stopped with the monitor host, so
/// the monitor stays a plain worker host when the dashboard is off.
/// </summary>
internal sealed partial class DashboardServer(
    IOptions<DashboardOptions> options,
    DashboardFeed feed,
    DashboardAssets assets,
    ILoggerFactory loggers,
    ILogger<DashboardServer> logger) : IHostedService, IAsyncDisposable
{
    public const string StatusPath = "/api/status";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private WebApplication? app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        // An empty builder: no configuration sources, no default URLs, nothing read from ASPNETCORE_*
        // variables; the monitor's logging.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            switch (o.Address)
            {
                case DashboardOptions.Localhost:
                    kestrel.ListenLocalhost(o.Port);
                    break;
                case DashboardOptions.AnyAddress:
                    kestrel.ListenAnyIP(o.Port);
                    break;
                default:
                    kestrel.Listen(IPAddress.Parse(o.Address), o.Port);
                    break;
            }
        });
        var web = builder.Build();
        web.Run(HandleAsync);
        try
        {
            await web.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await web.DisposeAsync();
            throw new InvalidOperationException(
                $"The dashboard cannot listen on {o.Address} port {o.Port}: {ex.Message} Set Dashboard:Port to a free port, or to 0 to turn the dashboard off.", ex);
        }

        app = web;
        Log.Listening(logger, o.Address, o.Port, assets.HasChartLibrary ? "" : " (built without its chart library: npm was missing at build time; the page shows figures only)");
    }

    private async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        // The page may load only what this server serves.
        response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'";
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        if (path == StatusPath)
        {
            response.Headers.CacheControl = "no-store";
            response.ContentType = "application/json; charset=utf-8";
            await JsonSerializer.SerializeAsync(response.Body, feed.Status(), Json, context.RequestAborted);
            return;
        }

        if (assets.Find(path == "/" ? "index.html" : path.TrimStart('/')) is not { } asset)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        response.Headers.CacheControl = "no-cache";
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        await response.Body.WriteAsync(asset.Content, context.RequestAborted);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (app is { } web)
        {
            await web.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is { } web)
        {
            app = null;
            await web.DisposeAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4400, LogLevel.Information, "Dashboard on http://{Address}:{Port}/{Note}")]
        public static partial void Listening(ILogger logger, string address, int port, string note);
    }
}
