using System.Net;
using System.Net.Sockets;

namespace StreamRag.TestSupport;

/// <summary>
/// Free loopback ports for the servers tests and the benchmark start (Redis, a cluster, scrape
/// endpoints). The benchmark compiles this file too (bench/StreamRag.Bench.csproj links it): it
/// does not reference the test support project.
/// </summary>
public static class LoopbackPorts
{
    /// <summary>A port the system had free a moment ago (from the ephemeral range).</summary>
    public static int Any()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The first of <paramref name="count"/> free consecutive ports whose cluster bus ports
    /// (port + <paramref name="busOffset"/>) are free too, below the ephemeral range so that
    /// outgoing connections do not take them meanwhile.
    /// </summary>
    public static int Range(int count, int busOffset = 0)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(20000, 30000 - count);
            if (Enumerable.Range(first, count).All(p => IsFree(p) && IsFree(p + busOffset)))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"no {count} free consecutive ports found between 20000 and 30000");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
