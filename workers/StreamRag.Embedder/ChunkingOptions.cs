using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Embedder;

/// <summary>How documents are cut into passages (configuration section <c>Chunking</c>).</summary>
public sealed class ChunkingOptions : IValidatableObject
{
    public const string Section = "Chunking";

    /// <summary>Words per chunk.</summary>
    [Range(8, 8192)]
    public int Size { get; set; } = 200;

    /// <summary>Words shared by consecutive chunks, so a sentence cut at a boundary is still found.</summary>
    [Range(0, 4096)]
    public int Overlap { get; set; } = 40;

    /// <summary>Most texts in one embedding call.</summary>
    [Range(1, 2048)]
    public int MaxEmbeddingBatch { get; set; } = 256;

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
