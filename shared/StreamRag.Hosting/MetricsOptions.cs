using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace StreamRag.Hosting;

/// <summary>Metrics export (configuration section <c>Metrics</c>).</summary>
public sealed class MetricsOptions : IValidatableObject
{
    public const string Section = "Metrics";

    /// <summary>The address meaning loopback: the endpoint answers at <c>localhost</c> and <c>127.0.0.1</c>.</summary>
    public const string Loopback = "localhost";

    /// <summary>The address meaning every interface (<c>0.0.0.0</c> says the same).</summary>
    public const string AnyAddress = "*";

    /// <summary>Port of the Prometheus scrape endpoint (<c>/metrics</c>); 0 turns it off.</summary>
    [Range(0, 65535)]
    public int PrometheusPort { get; set; }

    /// <summary>
    /// Where the scrape endpoint listens: <c>localhost</c> (the default: loopback only), <c>*</c> or
    /// <c>0.0.0.0</c> (every interface, answering whatever host name the scrape uses: e.g. in a
    /// container, for a Prometheus in another one), or one IPv4 address (then the scrape target must
    /// name that address: HttpListener matches the request's Host against it).
    /// </summary>
    [Required]
    public string ListenAddress { get; set; } = Loopback;

    /// <summary>Why <paramref name="address"/> cannot be a <see cref="ListenAddress"/>, or null when it can.</summary>
    public static string? AddressError(string? address) =>
        address is Loopback or AnyAddress or "0.0.0.0"
        || (address is not null && IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork && address.Count(c => c == '.') == 3)
            ? null
            : $"Metrics:ListenAddress '{address}' is neither '{Loopback}', '{AnyAddress}' (or 0.0.0.0) nor an IPv4 address (the HttpListener exporter refuses IPv6 prefixes)";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AddressError(ListenAddress) is { } error)
        {
            yield return new ValidationResult(error, [nameof(ListenAddress)]);
        }
    }
}

[OptionsValidator]
public sealed partial class MetricsOptionsValidator : IValidateOptions<MetricsOptions>;
