using StreamRag.Index;

namespace StreamRag.UnitTests.Search;

public sealed class ReciprocalRankFusionTests
{
    [Fact]
    public void Fuse_ScoreIsTheWeightedSumOfReciprocalRanks()
    {
        var fused = ReciprocalRankFusion.Fuse(["a", "b"], ["c", "x", "a"], 1.0, 0.5, 60);

        var a = fused.Single(f => f.Key == "a");
        Assert.Equal((1.0 / 61) + (0.5 / 63), a.Score, 12);
        Assert.Equal(0.5 / 62, fused.Single(f => f.Key == "x").Score, 12);
    }

    [Fact]
    public void Fuse_ItemBothRankingsAgreeOn_RisesAboveTheTopOfEither()
    {
        var fused = ReciprocalRankFusion.Fuse(["v1", "both", "v3"], ["t1", "both", "t3"], 1.0, 1.0, 60);

        Assert.Equal("both", fused[0].Key);
        Assert.Equal(5, fused.Count);
    }

    [Fact]
    public void Fuse_ZeroTextWeight_KeepsTheVectorOrder()
    {
        var fused = ReciprocalRankFusion.Fuse(["a", "b", "c"], ["c", "b", "a"], 1.0, 0.0, 60);

        Assert.Equal(["a", "b", "c"], fused.Select(f => f.Key));
    }

    [Fact]
    public void Fuse_HeavierTextWeight_LetsTextOrderWin()
    {
        var fused = ReciprocalRankFusion.Fuse(["a", "b"], ["b", "a"], 1.0, 2.0, 60);

        Assert.Equal(["b", "a"], fused.Select(f => f.Key));
    }

    [Fact]
    public void Fuse_Ties_GoToTheBetterVectorRank()
    {
        // Same weights, mirrored ranks: equal fused scores.
        var fused = ReciprocalRankFusion.Fuse(["a", "b"], ["b", "a"], 1.0, 1.0, 60);

        Assert.Equal(fused[0].Score, fused[1].Score, 12);
        Assert.Equal(["a", "b"], fused.Select(f => f.Key));
    }

    [Fact]
    public void Fuse_RepeatedItem_CountsItsBestRankOnce()
    {
        var fused = ReciprocalRankFusion.Fuse(["a", "a"], ["a"], 1.0, 1.0, 10);

        Assert.Equal((1.0 / 11) + (1.0 / 11), Assert.Single(fused).Score, 12);
    }

    [Fact]
    public void Fuse_InvalidConstant_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReciprocalRankFusion.Fuse(["a"], ["a"], 1.0, 1.0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReciprocalRankFusion.Fuse(["a"], ["a"], -1.0, 1.0, 60));
    }
}
