using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Grafana with CommEazy's provisioned data source and dashboards (<c>containers/grafana</c>). Grafana is not in
/// Debian, so its image builds on the upstream one: where that image is neither on this machine nor pullable
/// (no registry), a run leaves Grafana out and logs why; everything else runs. A published manifest always has it.
/// </summary>
internal static class GrafanaResourceExtensions
{
    /// <summary>The upstream image <c>containers/grafana/Dockerfile</c> builds on (keep both in step).</summary>
    public const string UpstreamImage = "grafana/grafana-oss:11.5.2";
    public const int GrafanaPort = 3000;
    private static readonly TimeSpan PullTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Adds Grafana reading <paramref name="prometheus"/>, or nothing (returning null) when its base image cannot be had here.</summary>
    public static IResourceBuilder<ContainerResource>? AddGrafanaWhereAvailable(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ContainerResource> prometheus, IResourceBuilder<ParameterResource> adminPassword)
    {
        if (builder.ExecutionContext.IsRunMode && UnavailableReason() is { } reason)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
            {
                e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CommEazy.AppHost.Grafana").LogWarning(
                    "Grafana is left out of this run: {Reason}. Prometheus, its alerts and every other resource run; the dashboards are in containers/grafana/dashboards.",
                    reason);
                return Task.CompletedTask;
            });
            return null;
        }
        return builder.AddDockerfile(name, "../containers/grafana")
            .WithHttpEndpoint(targetPort: GrafanaPort, name: "http")
            .WithHttpHealthCheck("/api/health", endpointName: "http")
            .WithEnvironment("PROMETHEUS_URL", ReferenceExpression.Create($"{prometheus.GetEndpoint("http")}"))
            .WithEnvironment("GF_SECURITY_ADMIN_PASSWORD", adminPassword)
            .WithVolume("commeazy-grafana-data", "/var/lib/grafana")
            .WaitFor(prometheus);
    }

    /// <summary>Null when the upstream image is on this machine or could be pulled within the timeout; else why not.</summary>
    private static string? UnavailableReason()
    {
        var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") ?? "docker";
        try
        {
            if (Run(runtime, ["image", "inspect", "--format", "{{.Id}}", UpstreamImage]).Exit == 0)
            {
                return null;
            }
            var (exit, error) = Run(runtime, ["pull", "--quiet", UpstreamImage]);
            return exit == 0 ? null : $"its base image {UpstreamImage} is not on this machine and cannot be pulled ({FirstLine(error)})";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return $"its base image {UpstreamImage} could not be checked with '{runtime}' ({e.Message})";
        }
    }

    private static (int Exit, string Error) Run(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(PullTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {args[0]} took longer than {PullTimeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, error.Result);
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no error text";
}
