namespace StreamRag.Contracts;

/// <summary>Why a stream entry does not satisfy the wire contract: a stable code and a message for humans.</summary>
public sealed record ContractViolation(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The outcome of parsing one stream entry: a value or a violation.</summary>
public readonly record struct ParseResult<T>(T? Value, ContractViolation? Error)
    where T : class
{
    public bool IsValid => Error is null;

    public static ParseResult<T> Ok(T value) => new(value, null);

    public static ParseResult<T> Fail(string code, string message) => new(null, new ContractViolation(code, message));
}
