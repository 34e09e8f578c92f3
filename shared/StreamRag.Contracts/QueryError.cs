
namespace StreamRag.Contracts;

/// <summary>A structured error: a stable code from <see cref="ErrorCodes"/> and a message.</summary>
public sealed record QueryError(string Code, string Message);
