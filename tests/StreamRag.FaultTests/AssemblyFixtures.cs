// One shared Redis server for the scenarios that only need a key prefix of their own; scenarios
// that restart, fill or cut the connections of a server start a dedicated one.
[assembly: AssemblyFixture(typeof(StreamRag.TestSupport.RedisServerFixture))]
[assembly: AssemblyFixture(typeof(StreamRag.FaultTests.FaultReport))]
