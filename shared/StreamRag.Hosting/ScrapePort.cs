using System.Net;
using System.Net.Sockets;

namespace StreamRag.Hosting;

/// <summary>The Prometheus scrape endpoint's addresses, and a clear refusal when its port is taken.</summary>
public static class ScrapePort
{
    /// <summary>
    /// The HttpListener prefixes of the endpoint at <see cref="MetricsOptions.ListenAddress"/>. Loopback
    /// is <c>localhost</c> and <c>127.0.0.1</c> alike: HttpListener matches the Host header against its
    /// prefixes, so a scrape of <c>127.0.0.1:port</c> gets a 404 unless that prefix is listed (the
    /// managed HttpListener refuses an <c>[::1]</c> prefix: "Invalid port in prefix"). Every interface
    /// is the wildcard <c>+</c>, which also matches any Host: a scrape by a container's service name.
    /// </summary>
    public static IReadOnlyList<string> Prefixes(string listenAddress, int port) => listenAddress switch
    {
        MetricsOptions.Loopback => [$"http://localhost:{port}/", $"http://127.0.0.1:{port}/"],
        MetricsOptions.AnyAddress or "0.0.0.0" => [$"http://+:{port}/"],
        _ => [$"http://{listenAddress}:{port}/"],
    };

    /// <summary>Replaces the exporter's own prefix (its Host and Port options) with <see cref="Prefixes"/>.</summary>
    public static void SetPrefixes(System.Net.HttpListener listener, string listenAddress, int port)
    {
        ArgumentNullException.ThrowIfNull(listener);
        listener.Prefixes.Clear();
        foreach (var prefix in Prefixes(listenAddress, port))
        {
            listener.Prefixes.Add(prefix);
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
