using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using StreamRag.Embedding;

namespace StreamRag.Generation;

/// <summary>How <c>answer</c>-mode queries are answered (configuration section <c>Answer</c>).</summary>
public sealed class AnswerOptions : IValidatableObject
{
    public const string Section = "Answer";

    public const string ExtractiveProvider = "extractive";
    public const string OpenAIProvider = "openai";

    /// <summary>
    /// <c>extractive</c> (the default, offline): the best passages themselves, cited by id.
    /// <c>openai</c>: a chat model of any OpenAI-compatible server writes an answer grounded in them.
    /// </summary>
    [Required]
    [RegularExpression("^(extractive|openai)$")]
    public string Provider { get; set; } = ExtractiveProvider;

    /// <summary>Chat model (or Azure deployment) name; required by <c>openai</c>.</summary>
    public string? Model { get; set; }

    /// <summary>Base URL of an OpenAI-compatible API, ending before <c>/chat/completions</c>; empty means OpenAI itself.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>API key sent as a bearer token; may be empty for local servers that do not check it.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Passages the answer is built from (the best first).</summary>
    [Range(1, 50)]
    public int MaxPassages { get; set; } = 3;

    /// <summary>Longest generated answer, in tokens.</summary>
    [Range(16, 32_768)]
    public int MaxAnswerTokens { get; set; } = 512;

    /// <summary>Sampling temperature; unset leaves the model's default (some models accept no other).</summary>
    [Range(0.0, 2.0)]
    public double? Temperature { get; set; }

    /// <summary>
    /// When true (the default), a generated answer that cites none of the given passages is not
    /// trusted: the extractive answer is returned instead.
    /// </summary>
    public bool RequireCitations { get; set; } = true;

    /// <summary>
    /// Timeouts, retries and circuit breaker of chat calls. A query waits for its answer, so the
    /// defaults are shorter than the embedder's: 20 s per attempt, one retry, Retry-After up to 5 s.
    /// </summary>
    [ValidateObjectMembers]
    public ProviderResilienceOptions Resilience { get; set; } = new()
    {
        Timeout = TimeSpan.FromSeconds(20),
        MaxRetries = 1,
        RetryDelay = TimeSpan.FromMilliseconds(500),
        MaxRetryDelay = TimeSpan.FromSeconds(2),
        MaxRetryAfter = TimeSpan.FromSeconds(5),
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == OpenAIProvider && string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult("Answer:Model is required when Answer:Provider is openai", [nameof(Model)]);
        }

        if (!string.IsNullOrWhiteSpace(BaseUrl) && !ProviderEndpoint.IsValidBaseUrl(BaseUrl))
        {
            yield return new ValidationResult($"Answer:BaseUrl ({BaseUrl}) must be an absolute http or https URL", [nameof(BaseUrl)]);
        }
    }
}

[OptionsValidator]
public sealed partial class AnswerOptionsValidator : IValidateOptions<AnswerOptions>;
