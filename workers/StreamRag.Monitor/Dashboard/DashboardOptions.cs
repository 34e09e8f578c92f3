using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace StreamRag.Monitor.Dashboard;

/// <summary>The monitor's live dashboard (configuration section <c>Dashboard</c>); off unless a port is set.</summary>
public sealed class DashboardOptions : IValidatableObject
{
    public const string Section = "Dashboard";

    /// <summary>The address meaning both loopback interfaces (127.0.0.1 and ::1).</summary>
    public const string Localhost = "localhost";

    /// <summary>The address meaning every interface.</summary>
    public const string AnyAddress = "*";

    /// <summary>TCP port the dashboard is served on; 0 (the default) turns it off.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Where it listens: <c>localhost</c> (the default: 127.0.0.1 and ::1, nothing reachable from other
    /// machines), <c>*</c> (every interface, e.g. in a container), or one IP address. The page has no
    /// authentication: expose it beyond loopback only on a trusted network.
    /// </summary>
    [Required]
    public string Address { get; set; } = Localhost;

    /// <summary>Evaluations kept for the charts (one point each); 720 at the default 5 s interval is the last hour.</summary>
    [Range(2, 100_000)]
    public int HistoryPoints { get; set; } = 720;

    /// <summary>Newest alert transitions shown (read from the alerts stream once per evaluation).</summary>
    [Range(1, 1_000)]
    public int RecentAlerts { get; set; } = 20;

    /// <summary>How often the page asks for new figures.</summary>
    [Range(typeof(TimeSpan), "00:00:00.250", "00:01:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    public bool Enabled => Port != 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Address is not (Localhost or AnyAddress) && !IPAddress.TryParse(Address, out _))
        {
            yield return new ValidationResult(
                $"Dashboard:Address '{Address}' is neither '{Localhost}', '{AnyAddress}' nor an IP address", [nameof(Address)]);
        }
    }
}

[OptionsValidator]
public sealed partial class DashboardOptionsValidator : IValidateOptions<DashboardOptions>;
