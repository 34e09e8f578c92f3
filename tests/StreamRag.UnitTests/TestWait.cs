namespace StreamRag.UnitTests;

internal static class TestWait
{
    /// <summary>Polls until the condition holds; fails the test with the message after a generous limit.</summary>
    public static async Task UntilAsync(Func<bool> condition, string because)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out waiting until {because}");
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
