using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace StreamRag.Embedding;

/// <summary>How StreamRag builds OpenAI SDK clients for any OpenAI-compatible server.</summary>
public static class ProviderEndpoint
{
    /// <summary>
    /// Sent when no key is configured: the SDK refuses an empty credential, and local servers
    /// (Ollama, vLLM, TEI, LM Studio) ignore the header.
    /// </summary>
    public const string PlaceholderApiKey = "no-key";

    public static bool IsValidBaseUrl(string baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>
    /// Client options with the SDK's own retries and network timeout turned off, so the Polly
    /// pipeline is the one place that decides when to wait, retry or give up.
    /// </summary>
    public static OpenAIClientOptions ClientOptions(string? baseUrl)
    {
        var options = new OpenAIClientOptions
        {
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrWhiteSpace(baseUrl))
        {
            // The SDK appends "/embeddings" itself; a trailing slash would double it.
            options.Endpoint = new Uri(baseUrl.TrimEnd('/'));
        }

        return options;
    }

    public static ApiKeyCredential Credential(string? apiKey) =>
        new(string.IsNullOrWhiteSpace(apiKey) ? PlaceholderApiKey : apiKey);
}
