using System.Diagnostics.Metrics;

namespace StreamRag.Telemetry;

/// <summary>Creates instruments from their <see cref="Instrument"/> definitions (kind-checked).</summary>
public static class MeterExtensions
{
    public static Counter<T> Counter<T>(this Meter meter, Instrument spec)
        where T : struct
    {
        Check(meter, spec, InstrumentKind.Counter);
        var counter = meter.CreateCounter<T>(spec.Name, spec.Unit, spec.Description);
        if (spec.Labels.Count == 0)
        {
            // Exported at 0 from the start, so the series exists (and rate() works) before the first event.
            counter.Add(default);
        }

        return counter;
    }

    public static Histogram<T> Histogram<T>(this Meter meter, Instrument spec)
        where T : struct
    {
        Check(meter, spec, InstrumentKind.Histogram);
        return meter.CreateHistogram<T>(spec.Name, spec.Unit, spec.Description);
    }

    public static ObservableGauge<T> Gauge<T>(this Meter meter, Instrument spec, Func<T> observe)
        where T : struct
    {
        Check(meter, spec, InstrumentKind.ObservableGauge);
        return meter.CreateObservableGauge(spec.Name, observe, spec.Unit, spec.Description);
    }

    public static ObservableGauge<T> Gauge<T>(this Meter meter, Instrument spec, Func<IEnumerable<Measurement<T>>> observe)
        where T : struct
    {
        Check(meter, spec, InstrumentKind.ObservableGauge);
        return meter.CreateObservableGauge(spec.Name, observe, spec.Unit, spec.Description);
    }

    public static ObservableCounter<T> ObservableCounter<T>(this Meter meter, Instrument spec, Func<IEnumerable<Measurement<T>>> observe)
        where T : struct
    {
        Check(meter, spec, InstrumentKind.ObservableCounter);
        return meter.CreateObservableCounter(spec.Name, observe, spec.Unit, spec.Description);
    }

    private static void Check(Meter meter, Instrument spec, InstrumentKind kind)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind != kind)
        {
            throw new ArgumentException($"{spec.Name} is defined as {spec.Kind}, not {kind}", nameof(spec));
        }
    }
}
