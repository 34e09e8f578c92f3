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

    /// <summary>
    /// Most distinct passages one document may make (after repeats and passages with nothing to
    /// search by are dropped); a document that makes more is dead-lettered (<c>too_large</c>), never
    /// cut short. About 1 MB of English text makes 900 passages with the default chunking.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxPassagesPerDocument { get; set; } = 2_000;
}

[OptionsValidator]
public sealed partial class EmbedderOptionsValidator : IValidateOptions<EmbedderOptions>;
