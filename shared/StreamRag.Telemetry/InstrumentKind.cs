
namespace StreamRag.Telemetry;

public enum InstrumentKind
{
    Counter,
    ObservableCounter,
    Histogram,
    ObservableGauge,
}
