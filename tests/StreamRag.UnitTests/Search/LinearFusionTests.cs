using StreamRag.Index;

namespace StreamRag.UnitTests.Search;

public sealed class LinearFusionTests
{
    [Fact]
    public void Fuse_SimilarityPlusTheWeightedShareOfTheBestTextScore()
    {
        var fused = LinearFusion.Fuse([("a", 0.80), ("b", 0.79), ("c", 0.70)], [("b", 12.0), ("x", 6.0)], 1.0, 0.05);

        Assert.Equal(["b", "a", "c", "x"], fused.Select(f => f.Key));
        // b: 0.79 + 0.05 × 12/12; a: 0.80; c: 0.70; x: only the text side, 0.05 × 6/12.
        Assert.Equal([0.84, 0.80, 0.70, 0.025], fused.Select(f => Math.Round(f.Score, 9)));
    }

    [Fact]
    public void Fuse_AWeakTextSide_CannotOverturnAClearVectorLead()
    {
        // The best text match gains at most the text weight: 0.05 does not bridge a gap of 0.1.
        var fused = LinearFusion.Fuse([("near", 0.90), ("far", 0.80)], [("far", 30.0)], 1.0, 0.05);

        Assert.Equal("near", fused[0].Key);
    }

    [Fact]
    public void Fuse_TiesGoToTheBetterVectorRank_AndRepeatsCountOnce()
    {
        var fused = LinearFusion.Fuse([("a", 0.5), ("b", 0.5), ("a", 0.1)], [("c", 1.0), ("c", 1.0)], 1.0, 0.5);

        Assert.Equal([("a", 0.5), ("b", 0.5), ("c", 0.5)], fused);
    }
}
