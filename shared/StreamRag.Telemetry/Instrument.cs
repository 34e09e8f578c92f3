using System.Text;

namespace StreamRag.Telemetry;

/// <summary>
/// One instrument of the fleet: its OpenTelemetry name (<c>streamrag.&lt;area&gt;.&lt;name&gt;</c>),
/// kind, UCUM unit, the labels its measurements carry and the hosts that export it. Created only
/// through the <see cref="MeterExtensions"/> methods, so a name, unit or kind exists once.
/// </summary>
/// <param name="Hosts">Hosts that export it: embedder, query, sweeper, monitor.</param>
/// <param name="Condition">When it is only exported under some configuration, which (else null).</param>
public sealed record Instrument(
    string Name,
    InstrumentKind Kind,
    string Unit,
    string Description,
    IReadOnlyList<string> Labels,
    IReadOnlyList<string> Hosts,
    string? Condition = null)
{
    /// <summary>
    /// The name the Prometheus exporter gives it: dots become underscores, the unit is appended in
    /// words (<c>ms</c> → <c>_milliseconds</c>, <c>By</c> → <c>_bytes</c>, <c>s</c> → <c>_seconds</c>,
    /// <c>1</c> and <c>{annotation}</c> → nothing), counters end in <c>_total</c>.
    /// </summary>
    public string PrometheusName
    {
        get
        {
            var name = new StringBuilder(Name.Replace('.', '_'));
            var unit = Unit switch
            {
                "ms" => "milliseconds",
                "s" => "seconds",
                "By" => "bytes",
                _ => "",
            };
            if (unit.Length > 0)
            {
                name.Append('_').Append(unit);
            }

            if (Kind is InstrumentKind.Counter or InstrumentKind.ObservableCounter)
            {
                name.Append("_total");
            }

            return name.ToString();
        }
    }

    /// <summary>Type as Prometheus shows it.</summary>
    public string PrometheusType => Kind switch
    {
        InstrumentKind.Counter or InstrumentKind.ObservableCounter => "counter",
        InstrumentKind.Histogram => "histogram",
        _ => "gauge",
    };
}
