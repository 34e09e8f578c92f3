using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Embedding;

/// <summary>
/// How documents are cut into passages (configuration section <c>Chunking</c>). The unit follows
/// the provider: words for <c>hashing</c>, model tokens for <c>openai</c>, where no chunk exceeds
/// <see cref="EmbeddingOptions.MaxInputTokens"/> whatever <see cref="Size"/> says.
/// </summary>
public sealed class ChunkingOptions : IValidatableObject
{
    public const string Section = "Chunking";

    /// <summary>Words (hashing) or tokens (openai) per chunk.</summary>
    [Range(8, 8192)]
    public int Size { get; set; } = 200;

    /// <summary>Words or tokens shared by consecutive chunks, so a sentence cut at a boundary is still found.</summary>
    [Range(0, 4096)]
    public int Overlap { get; set; } = 40;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Overlap >= Size)
        {
            yield return new ValidationResult($"Chunking:Overlap ({Overlap}) must be smaller than Chunking:Size ({Size})", [nameof(Overlap)]);
        }
    }
}

[OptionsValidator]
public sealed partial class ChunkingOptionsValidator : IValidateOptions<ChunkingOptions>;
