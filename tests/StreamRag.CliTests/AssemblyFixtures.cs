// The shared Redis server (tests/StreamRag.TestSupport) lives as long as this test assembly.
[assembly: AssemblyFixture(typeof(StreamRag.TestSupport.RedisServerFixture))]
