namespace StreamRag.Monitor.Dashboard;

/// <summary>A dead-letter stream: its length and the entries ever added to it.</summary>
internal sealed record DashboardDeadLetters(string Stream, long Length, long Added);
