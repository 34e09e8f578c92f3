using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using StreamRag.Embedding;
using StreamRag.Settings;

namespace StreamRag.Generation;

public static class AnswerServiceCollectionExtensions
{
    /// <summary>Name of the chat provider pipeline in logs.</summary>
    public const string PipelineName = "answer";

    /// <summary>
    /// Registers the <c>Answer</c> options (validated at start-up) and the <see cref="IAnswerGenerator"/>
    /// they select: extractive, or a chat model of an OpenAI-compatible server behind the resilience
    /// pipeline, falling back to extractive. Uses the registered <see cref="TimeProvider"/> (the system clock if none).
    /// </summary>
    public static IServiceCollection AddStreamRagAnswers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSettings<AnswerOptions, AnswerOptionsValidator>(configuration, AnswerOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => CreateGenerator(
            sp.GetRequiredService<IOptions<AnswerOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        return services;
    }

    public static IAnswerGenerator CreateGenerator(AnswerOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        if (options.Provider != AnswerOptions.OpenAIProvider)
        {
            return new ExtractiveAnswerGenerator(options.MaxPassages);
        }

        var model = options.Model ?? throw new InvalidOperationException("Answer:Model is required when Answer:Provider is openai");
        var chat = new ChatClient(model, ProviderEndpoint.Credential(options.ApiKey), ProviderEndpoint.ClientOptions(options.BaseUrl)).AsIChatClient();
        var logger = loggers.CreateLogger<ChatAnswerGenerator>();
        var pipeline = ProviderResilience.Create(options.Resilience, time, logger, PipelineName);
        return new ChatAnswerGenerator(chat, pipeline, options, logger);
    }
}
