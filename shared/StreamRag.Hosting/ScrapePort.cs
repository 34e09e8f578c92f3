using System.Net;
using System.Net.Sockets;

namespace StreamRag.Hosting;

/// <summary>The Prometheus scrape endpoint's addresses, and a clear refusal when its port is taken.</summary>
public static class ScrapePort
{
    /// <summary>
    /// <c>localhost</c> and <c>127.0.0.1</c> alike: HttpListener matches the Host header against its
    /// prefixes, so a scrape of <c>127.0.0.1:port</c> gets a 404 unless that prefix is listed. (The
    /// managed HttpListener refuses an <c>[::1]</c> prefix: "Invalid port in prefix".)
    /// </summary>
    public static void AddLoopbackPrefixes(System.Net.HttpListener listener, int port)
    {
        ArgumentNullException.ThrowIfNull(listener);
        foreach (var prefix in new[] { $"http://localhost:{port}/", $"http://127.0.0.1:{port}/" })
        {
            if (!listener.Prefixes.Contains(prefix))
            {
                listener.Prefixes.Add(prefix);
            }
        }
    }

    /// <summary>Refuses to start, in one line that names the setting, when another process holds the port.</summary>
    public static void EnsureFree(int port)
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6)
            {
                continue;
            }

            try
            {
                using var probe = new TcpListener(address, port);
                probe.Start();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new HostStartupException(
                    $"Metrics:PrometheusPort {port} is in use; set Metrics__PrometheusPort to a free port or 0 to turn the endpoint off");
            }
        }
    }
}

/// <summary>A host cannot start for a reason its operator can fix; the message says how (Program prints it as one line).</summary>
public sealed class HostStartupException(string message) : Exception(message);
