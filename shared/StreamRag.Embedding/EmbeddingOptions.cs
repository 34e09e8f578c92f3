using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Embedding;

/// <summary>
/// Which embedding model turns text into vectors, and how it is called (configuration section
/// <c>Embedding</c>). See docs/providers.md for every option, for the local models, and for pointing
/// the <c>openai</c> provider at Azure OpenAI, Ollama, vLLM, TEI or LM Studio.
/// </summary>
public sealed class EmbeddingOptions : IValidatableObject
{
    public const string Section = "Embedding";

    public const string LocalProvider = "local";
    public const string HashingProvider = "hashing";
    public const string OpenAIProvider = "openai";

    /// <summary>
    /// <c>local</c> (the default): a sentence-embedding model run in-process by ONNX Runtime, no
    /// network. <c>hashing</c>: lexical feature hashing, no model at all. <c>openai</c>: any server
    /// that speaks the OpenAI <c>/v1/embeddings</c> API.
    /// </summary>
    [Required]
    [RegularExpression("^(local|hashing|openai)$")]
    public string Provider { get; set; } = LocalProvider;

    /// <summary>
    /// Model name. <c>local</c>: one of <see cref="LocalModelSpec.All"/> (unset means
    /// <see cref="LocalModelSpec.Default"/>). <c>openai</c>: the model or Azure deployment (required).
    /// Ignored by <c>hashing</c>.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>How the <c>local</c> provider runs its model (threads, batching, execution provider).</summary>
    [ValidateObjectMembers]
    public LocalEmbeddingOptions Local { get; set; } = new();

    /// <summary>Vector dimension; must match the index. A provider that returns another length is refused.</summary>
    [Range(8, 4096)]
    public int Dimensions { get; set; } = 384;

    /// <summary>
    /// Whether to send <see cref="Dimensions"/> in the request, asking the model to shorten its
    /// vectors. Null (the default) sends it only to models known to accept it (<c>text-embedding-3-*</c>);
    /// most local servers reject or ignore the field.
    /// </summary>
    public bool? RequestDimensions { get; set; }

    /// <summary>
    /// Base URL of an OpenAI-compatible API, ending before <c>/embeddings</c> (e.g.
    /// <c>http://localhost:11434/v1</c>). Empty means the OpenAI service itself.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>API key sent as a bearer token. May be empty for local servers that do not check it.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Most tokens the model accepts per input; every chunk the token chunker makes fits it.
    /// 8191 is the limit of OpenAI's embedding models; BERT-style models on TEI take 512.
    /// </summary>
    [Range(16, 1_000_000)]
    public int MaxInputTokens { get; set; } = 8191;

    /// <summary>
    /// Tokenizer used to count tokens for chunking: <c>auto</c> (by model name; cl100k_base for
    /// models it does not know), <c>cl100k_base</c> or <c>o200k_base</c>. Only used by <c>openai</c>.
    /// </summary>
    [Required]
    [RegularExpression("^(auto|cl100k_base|o200k_base)$")]
    public string Tokenizer { get; set; } = "auto";

    /// <summary>Timeouts, retries and circuit breaker of provider calls (used by <c>openai</c>).</summary>
    [ValidateObjectMembers]
    public ProviderResilienceOptions Resilience { get; set; } = new();

    /// <summary>The local model <see cref="Model"/> names (the default one when unset), or null if it names none.</summary>
    public LocalModelSpec? LocalModel => LocalModelSpec.Find(Model);

    /// <summary>True when <see cref="Dimensions"/> should be sent with each request.</summary>
    public bool SendsDimensions =>
        RequestDimensions ?? (Model?.StartsWith("text-embedding-3", StringComparison.OrdinalIgnoreCase) ?? false);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == OpenAIProvider && string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult("Embedding:Model is required when Embedding:Provider is openai", [nameof(Model)]);
        }

        if (Provider == LocalProvider)
        {
            if (LocalModelSpec.Find(Model) is not { } spec)
            {
                yield return new ValidationResult(
                    $"Embedding:Model ({Model}) is not a local model; Embedding:Provider local runs {string.Join(" or ", LocalModelSpec.All.Select(m => m.Name))}",
                    [nameof(Model)]);
            }
            else if (Dimensions != spec.Dimensions)
            {
                yield return new ValidationResult(
                    $"Embedding:Dimensions ({Dimensions}) must be {spec.Dimensions}, the dimension of {spec.Name} (and Index:Dimensions with it)",
                    [nameof(Dimensions)]);
            }
        }

        if (!string.IsNullOrWhiteSpace(BaseUrl) && !ProviderEndpoint.IsValidBaseUrl(BaseUrl))
        {
            yield return new ValidationResult($"Embedding:BaseUrl ({BaseUrl}) must be an absolute http or https URL", [nameof(BaseUrl)]);
        }
    }
}

[OptionsValidator]
public sealed partial class EmbeddingOptionsValidator : IValidateOptions<EmbeddingOptions>;
