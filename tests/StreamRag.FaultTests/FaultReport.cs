using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamRag.FaultTests;

/// <summary>One measured row of the closing table: what ran, what was done to it, what it cost.</summary>
/// <param name="Scenario">Scenario number and name, e.g. "1 embedder SIGKILL".</param>
/// <param name="Load">What the fleet was doing (e.g. "20,000 events").</param>
/// <param name="Faults">What was injected.</param>
/// <param name="Lost">Items that never arrived (events not indexed, requests never answered nor shed).</param>
/// <param name="Duplicated">Items applied or answered more than once with a different result.</param>
/// <param name="RecoverySeconds">From the fault to the fleet doing its job again; null where it does not apply.</param>
/// <param name="Notes">Anything else measured (counts, peaks).</param>
public sealed record FaultRow(
    string Scenario,
    string Load,
    string Faults,
    long Lost,
    long Duplicated,
    double? RecoverySeconds,
    string Notes);

/// <summary>
/// Collects the rows: each goes to the test's output and, as one JSON line, to
/// <c>.run/fault-report.jsonl</c> (emptied when the suite starts), from which the closing table is built.
/// </summary>
public sealed class FaultReport : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly SemaphoreSlim writing = new(1, 1);

    public string Path { get; } = System.IO.Path.Combine(RedisServerFixture.RepositoryRoot(), ".run", "fault-report.jsonl");

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.WriteAllText(Path, "");
        return ValueTask.CompletedTask;
    }

    public async Task WriteAsync(FaultRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var line = JsonSerializer.Serialize(row, Json);
        TestContext.Current.TestOutputHelper?.WriteLine($"FAULT-REPORT {line}");
        await writing.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            await File.AppendAllTextAsync(Path, line + "\n", TestContext.Current.CancellationToken);
        }
        finally
        {
            writing.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        writing.Dispose();
        return ValueTask.CompletedTask;
    }
}
