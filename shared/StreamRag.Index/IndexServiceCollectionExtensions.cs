using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StreamRag.Redis;

namespace StreamRag.Index;

public static class IndexServiceCollectionExtensions
{
    /// <summary>
    /// Registers the index: <see cref="IVectorIndex"/> as the engine the index manifest records, or,
    /// for a new index, the one <c>Index:Engine</c> names (<see cref="IndexEngineChoice"/>), chosen
    /// once at start-up, checked and logged; <see cref="IPartitionMetadata"/> over its partitions; and
    /// the vector-set engine. Other engines add themselves (<see cref="IIndexEngineFactory"/>).
    /// </summary>
    public static IServiceCollection AddStreamRagIndex(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IndexLayoutSource>();
        services.TryAddSingleton<VectorSetIndex>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIndexEngineFactory, VectorSetEngineFactory>());
        services.TryAddSingleton<SelectedVectorIndex>();
        services.TryAddSingleton<IVectorIndex>(sp => sp.GetRequiredService<SelectedVectorIndex>());
        services.TryAddSingleton<IPartitionMetadata>(sp => new PartitionMetadataStore(
            sp.GetRequiredService<RedisConnections>(), sp.GetRequiredService<KeySchema>(), sp.GetRequiredService<IVectorIndex>()));
        services.AddHostedService<IndexEngineStartup>();
        return services;
    }
}
