using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using StreamRag.Redis;

namespace StreamRag.Cli;

/// <summary>Options every command takes (after the command name).</summary>
public class GlobalSettings : CommandSettings
{
    /// <summary>Where Redis is when neither <c>--redis</c> nor <c>STREAMRAG_REDIS</c> says (the port ./run.sh uses).</summary>
    public const string DefaultRedis = "127.0.0.1:6390";

    public const string RedisVariable = "STREAMRAG_REDIS";

    [CommandOption("--redis <CONFIG>")]
    [Description("StackExchange.Redis configuration (host:port or host:port,password=...); default $STREAMRAG_REDIS or " + DefaultRedis)]
    public string? Redis { get; init; }

    [CommandOption("--prefix <PREFIX>")]
    [Description("key prefix of the deployment (Redis:KeyPrefix)")]
    [DefaultValue("rag")]
    public string Prefix { get; init; } = "rag";

    [CommandOption("--shards <N>", IsHidden = true)]
    [Description("Redis:Shards of the deployment")]
    [DefaultValue(1)]
    public int Shards { get; init; } = 1;

    public string RedisConfiguration => string.IsNullOrWhiteSpace(Redis)
        ? Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultRedis
        : Redis;

    public RedisOptions RedisOptions => new() { Configuration = RedisConfiguration, KeyPrefix = Prefix, Shards = Shards };

    public override ValidationResult Validate()
    {
        var failures = new RedisOptionsValidator().Validate(null, RedisOptions);
        return failures.Failed ? ValidationResult.Error(string.Join("; ", failures.Failures ?? [])) : ValidationResult.Success();
    }
}
