using StreamRag.Hosting;

namespace StreamRag.Query;

public static class QueryExtensions
{
    /// <summary>Everything the query host needs: shared core, the request handler and the worker.</summary>
    public static IHostApplicationBuilder AddQueryWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddStreamRagCore();
        builder.Services.AddSingleton<QueryRequestHandler>();
        builder.Services.AddHostedService<QueryWorker>();
        return builder;
    }
}
