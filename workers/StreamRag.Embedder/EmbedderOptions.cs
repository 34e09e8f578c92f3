using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Embedder;

/// <summary>The embedder's own settings (configuration section <c>Embedder</c>); chunking itself is <c>Chunking</c>.</summary>
public sealed class EmbedderOptions
{
    public const string Section = "Embedder";

    /// <summary>Most texts in one embedding call (the OpenAI API takes many inputs per call).</summary>
    [Range(1, 2048)]
    public int MaxEmbeddingBatch { get; set; } = 256;
}

[OptionsValidator]
public sealed partial class EmbedderOptionsValidator : IValidateOptions<EmbedderOptions>;
