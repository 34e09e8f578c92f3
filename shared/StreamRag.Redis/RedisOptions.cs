using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Redis;

/// <summary>How every host reaches Redis and names its keys (configuration section <c>Redis</c>).</summary>
public sealed class RedisOptions : IValidatableObject
{
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>localhost:6379,password=…</c>.</summary>
    [Required]
    public string Configuration { get; set; } = "localhost:6379";

    /// <summary>Prefix of every key and channel, so several deployments can share one Redis.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,32}$")]
    public string KeyPrefix { get; set; } = "rag";

    /// <summary>
    /// Connections reserved for searches. Redis answers one connection's commands in order while
    /// VSIM runs on its worker threads, so searches spread over several connections run in parallel
    /// (measured here: about 1,250 q/s through one connection, 2,200 through 16).
    /// </summary>
    [Range(1, 64)]
    public int SearchConnections { get; set; } = 8;

    /// <summary>Index partitions per tenant; each is one vector set in its own hash slot (Redis Cluster).</summary>
    [Range(1, MaxShards)]
    public int Shards { get; set; } = 1;

    /// <summary>Most shards (partitions) a tenant's index may be split into.</summary>
    public const int MaxShards = 1024;

    /// <summary>
    /// Replicas that must confirm a write before the fleet acknowledges it (0, the default: none):
    /// an embedder's index writes before it acknowledges the events, the .NET client's XADD of a
    /// document event before it returns. Each confirmation is a <c>WAIT</c> on the written key's
    /// master; too few confirmations within <see cref="WaitTimeout"/> is a transient failure (the
    /// events are retried, the client call throws). It makes acknowledged work survive the crash of a
    /// master, at the cost of a round trip to the replicas per batch, and of stalling the writes to a
    /// master that has fewer replicas than this (docs/operations.md#waiting-for-replicas).
    /// </summary>
    [Range(0, 16)]
    public int WaitForReplicas { get; set; }

    /// <summary>How long one <c>WAIT</c> waits for <see cref="WaitForReplicas"/> confirmations.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// PEM file of the certificate authority that signed the server's TLS certificate (with
    /// <c>ssl=true</c> in <see cref="Configuration"/>). The server certificate is then checked
    /// against this authority instead of the system's trust store (e.g. a private or self-signed CA).
    /// </summary>
    public string? TlsCaCertificate { get; set; }

    /// <summary>PEM file of this host's client certificate, for a server that requires one (<c>tls-auth-clients yes</c>).</summary>
    public string? TlsClientCertificate { get; set; }

    /// <summary>PEM file of the client certificate's private key, when it is not in <see cref="TlsClientCertificate"/> itself.</summary>
    public string? TlsClientKey { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, path) in new[] { (nameof(TlsCaCertificate), TlsCaCertificate), (nameof(TlsClientCertificate), TlsClientCertificate), (nameof(TlsClientKey), TlsClientKey) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                yield return new ValidationResult($"Redis:{name} names a file that does not exist: {path}", [name]);
            }
        }

        if (!string.IsNullOrEmpty(TlsClientKey) && string.IsNullOrEmpty(TlsClientCertificate))
        {
            yield return new ValidationResult("Redis:TlsClientKey needs Redis:TlsClientCertificate", [nameof(TlsClientKey)]);
        }
    }
}

[OptionsValidator]
public sealed partial class RedisOptionsValidator : IValidateOptions<RedisOptions>;
