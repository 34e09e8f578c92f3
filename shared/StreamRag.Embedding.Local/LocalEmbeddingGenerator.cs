using Microsoft.Extensions.AI;

namespace StreamRag.Embedding.Local;

/// <summary>
/// The <c>local</c> provider: a sentence-embedding model run in-process, no network. A call whose
/// options say <see cref="EmbeddingInput.ForQuery"/> embeds search queries (with the model's query
/// prefix, if it has one); any other call embeds document passages. An input longer than the
/// model's window is refused (<see cref="EmbeddingInputTooLongException"/>), never truncated.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ProviderName = EmbeddingOptions.LocalProvider;

    private readonly LocalEmbeddingModel model;
    private readonly EmbeddingGeneratorMetadata metadata;
    private readonly EmbeddingPrecision precision;

    /// <param name="model">Shared, loaded once per process; not disposed by this generator.</param>
    public LocalEmbeddingGenerator(LocalEmbeddingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, model.Spec.Name, model.Spec.Dimensions);
        precision = new EmbeddingPrecision(model.Precision);
    }

    public LocalModelSpec Spec => model.Spec;

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var query = EmbeddingInput.IsQuery(options);
        var prefix = query ? model.Spec.QueryPrefix : "";
        var texts = values.Select(v => prefix + (v ?? throw new ArgumentException("an input is null", nameof(values)))).ToArray();
        var vectors = await model.EmbedAsync(texts, query, cancellationToken);
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
        foreach (var vector in vectors)
        {
            result.Add(new Embedding<float>(vector) { ModelId = model.Spec.Name, CreatedAt = null });
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? metadata
            : serviceType == typeof(EmbeddingPrecision) ? precision
            : serviceType == typeof(LocalEmbeddingModel) ? model
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
        // The model belongs to LocalEmbeddingModels, which outlives every generator over it.
    }
}
