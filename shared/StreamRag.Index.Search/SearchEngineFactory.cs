using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;
using StreamRag.Settings;

namespace StreamRag.Index.Search;

public static class SearchIndexServiceCollectionExtensions
{
    /// <summary>Makes the Query Engine (FT.*) engine one the index can run (<c>Index:Engine=search</c>, or an index recorded with it).</summary>
    public static IServiceCollection AddSearchIndexEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<SearchIndexOptions, SearchIndexOptionsValidator>(configuration, SearchIndexOptions.Section);
        services.TryAddSingleton<SearchVectorIndex>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIndexEngineFactory, SearchEngineFactory>());
        return services;
    }
}

/// <summary>The Query Engine: present when the server answers FT._LIST; its FT index is created or checked on start.</summary>
internal sealed class SearchEngineFactory(SearchVectorIndex index) : IIndexEngineFactory
{
    public string Name => IndexEngineChoice.Search;

    public string Description => "the Query Engine";

    public Task<(bool Available, string Answer)> ProbeAsync(IDatabase db) => SearchIndexAdmin.ProbeAsync(db);

    public async Task<IVectorIndex> StartAsync(CancellationToken cancellationToken)
    {
        await index.EnsureIndexAsync(cancellationToken);
        return index;
    }
}
