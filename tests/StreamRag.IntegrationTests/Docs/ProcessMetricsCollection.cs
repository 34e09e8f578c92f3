namespace StreamRag.IntegrationTests.Docs;

/// <summary>
/// Tests whose in-process monitors fire alerts on the real clock, and the test that reads a monitor's
/// alert gauges from its scrape endpoint. The OpenTelemetry exporter of one in-process host also
/// sees the instruments of the other hosts of the test process (the meter name is shared), so these
/// must not run at the same time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessMetricsCollection
{
    public const string Name = "process-wide metrics";
}
