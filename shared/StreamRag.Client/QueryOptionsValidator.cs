using Microsoft.Extensions.Options;

namespace StreamRag.Client;

/// <summary>Checks a <see cref="QueryOptions"/> before anything is posted.</summary>
[OptionsValidator]
internal sealed partial class QueryOptionsValidator : IValidateOptions<QueryOptions>;
