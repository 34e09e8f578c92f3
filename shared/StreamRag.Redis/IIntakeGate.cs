
namespace StreamRag.Redis;

/// <summary>Decides whether a consumer may take new work now (e.g. not while Redis memory is nearly full).</summary>
public interface IIntakeGate
{
    /// <summary>Completes when new entries may be read.</summary>
    ValueTask WaitOpenAsync(CancellationToken cancellationToken);
}
