using StreamRag.Monitor;
using StreamRag.Sweeper;

namespace StreamRag.IntegrationTests.Docs;

/// <summary>
/// The whole fleet (embedder, query worker, sweeper, monitor) in-process under one test's key
/// prefix, paced for tests: the sweeper and the monitor run a pass every second.
/// </summary>
internal static class DocFleet
{
    public static readonly (string Key, string Value)[] Pace =
    [
        ("Sweeper:Interval", "00:00:01"),
        ("Monitor:EvaluationInterval", "00:00:01"),
        ("Tuning:Interval", "00:00:01"),
    ];

    public static async Task StartAsync(TestScope scope)
    {
        await scope.StartEmbedderAsync(Pace);
        await scope.StartQueryWorkerAsync(Pace);
        await scope.StartAsync(b => b.AddSweeperWorker(), Pace);
        await scope.StartAsync(b => b.AddMonitorWorker(), Pace);
    }
}
