namespace StreamRag.IntegrationTests.Docs;

/// <summary>
/// Tests whose in-process monitors fire alerts and publish group gauges, and the tests that read a
/// monitor's gauges from its scrape endpoint. The OpenTelemetry exporter of one in-process host also
/// sees the instruments of the other hosts of the test process (the meter name is shared), so these
/// must not run at the same time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessMetricsCollection
{
    public const string Name = "process-wide metrics";
}
