using StreamRag.Monitor;

namespace StreamRag.UnitTests;

public sealed class EfControllerTests
{
    private static readonly TuningOptions Options = new()
    {
        MinEf = 10,
        MaxEf = 800,
        RecallFloor = 0.95,
        LatencyBudgetMs = 50,
        MinRecallSamples = 5,
        MinLatencySamples = 20,
        UpFactor = 1.5,
        DownFactor = 0.75,
    };

    private static EfMeasurement M(double? recall, double? p99, int recallSamples = 10, int latencySamples = 100) =>
        new(recall is null ? 0 : recallSamples, recall, p99 is null ? 0 : latencySamples, p99);

    [Fact]
    public void RecallShort_RaisesEffort()
    {
        var d = EfController.Decide(100, M(0.8, 10), Options);

        Assert.Equal((150, true, true, false), (d.Ef, d.Changed, d.RecallShort, d.Stuck));
    }

    [Fact]
    public void LatencyOver_LowersEffort()
    {
        var d = EfController.Decide(100, M(0.99, 80), Options);

        Assert.Equal((75, true, true), (d.Ef, d.Changed, d.LatencyOver));
    }

    [Fact]
    public void TooFewSamples_Holds()
    {
        Assert.False(EfController.Decide(100, M(0.5, 500, recallSamples: 4, latencySamples: 19), Options).Changed);
    }

    [Fact]
    public void Both_AtOnce_HoldsAndReportsStuck()
    {
        var d = EfController.Decide(100, M(0.5, 500), Options);

        Assert.Equal((100, false, true), (d.Ef, d.Changed, d.Stuck));
    }

    [Fact]
    public void Bounds_AreHard()
    {
        Assert.Equal(800, EfController.Decide(700, M(0.1, 1), Options).Ef);
        var atMax = EfController.Decide(800, M(0.1, 1), Options);
        Assert.Equal((800, false, true), (atMax.Ef, atMax.Changed, atMax.Stuck));
        Assert.Equal(10, EfController.Decide(12, M(1, 999), Options).Ef);
        Assert.Equal(800, EfController.Decide(2000, M(1, 1), Options).Ef);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    [InlineData(800)]
    public void Converges_IntoTheFeasibleBand_FromAnyStart(int start)
    {
        // A system whose recall grows with the effort and whose latency grows with it too:
        // recall >= 0.95 needs ef >= 190; p99 <= 50 ms needs ef <= 250.
        static EfMeasurement System(int ef) => M(Math.Min(1, ef / 200.0), ef * 0.2);

        var ef = start;
        var changes = 0;
        for (var round = 0; round < 30; round++)
        {
            var d = EfController.Decide(ef, System(ef), Options);
            changes += d.Changed ? 1 : 0;
            ef = d.Ef;
        }

        Assert.InRange(ef, 190, 250);
        Assert.InRange(changes, 1, 10);
        Assert.False(EfController.Decide(ef, System(ef), Options).Changed);
    }

    [Fact]
    public void OutsideTheBounds_MovesBackInsideFirst_WhateverWasMeasured()
    {
        var slow = new EfMeasurement(0, null, 100, 500);
        var below = EfController.Decide(4, slow, Options);
        Assert.Equal((10, true), (below.Ef, below.Changed));
        Assert.StartsWith("move 4 -> 10: back inside [10, 800]", below.Reason, StringComparison.Ordinal);
        // At the floor, a latency breach cannot push lower.
        Assert.Equal((10, false), (EfController.Decide(10, slow, Options).Ef, EfController.Decide(10, slow, Options).Changed));
        Assert.Equal(800, EfController.Decide(5000, new EfMeasurement(100, 0.5, 0, null), Options).Ef);
    }
}
