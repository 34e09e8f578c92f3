using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Embedding;

/// <summary>Settings of the offline embedder and of the embedding stage (configuration section <c>Embedding</c>).</summary>
public sealed class EmbeddingOptions
{
    public const string Section = "Embedding";

    /// <summary><c>hashing</c> (offline, no model weights) is the only provider in this release.</summary>
    [Required]
    [RegularExpression("^hashing$")]
    public string Provider { get; set; } = "hashing";

    /// <summary>Vector dimension; must match the index.</summary>
    [Range(8, 4096)]
    public int Dimensions { get; set; } = 384;
}

[OptionsValidator]
public sealed partial class EmbeddingOptionsValidator : IValidateOptions<EmbeddingOptions>;
