using System.ComponentModel.DataAnnotations;

namespace StreamRag.Hosting;

/// <summary>The OTLP exporter of traces (section <c>Telemetry:Otlp</c>).</summary>
public sealed class OtlpOptions
{
    /// <summary>
    /// The collector's OTLP base address, e.g. <c>http://localhost:4318</c> (like
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): spans go to <c>/v1/traces</c> under it with
    /// <c>http/protobuf</c>, to the address itself with <c>grpc</c>. Empty (the default): no export.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary><c>http/protobuf</c> (the default; port 4318 by convention) or <c>grpc</c> (port 4317).</summary>
    [RegularExpression("^(http/protobuf|grpc)$", ErrorMessage = "Telemetry:Otlp:Protocol must be 'http/protobuf' or 'grpc'")]
    public string Protocol { get; set; } = "http/protobuf";

    /// <summary>The endpoint as an absolute http(s) URI; null when empty or not one.</summary>
    public Uri? EndpointUri =>
        Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;

    /// <summary>Where the exporter sends spans: the trace path under the base address for http/protobuf.</summary>
    public Uri? TracesUri => EndpointUri is not { } uri ? null
        : Protocol == "grpc" || uri.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal) ? uri
        : new Uri(uri, uri.AbsolutePath.TrimEnd('/') + "/v1/traces");
}
