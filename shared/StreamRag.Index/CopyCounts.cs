
namespace StreamRag.Index;

/// <summary>Running totals of a copy (one tenant's, or the whole change's).</summary>
internal sealed class CopyCounts
{
    public long Copied;
    public long There;
    public long Tombstones;
    public long MovedOn;

    public void Add(CopyCounts other)
    {
        Copied += other.Copied;
        There += other.There;
        Tombstones += other.Tombstones;
        MovedOn += other.MovedOn;
    }
}
