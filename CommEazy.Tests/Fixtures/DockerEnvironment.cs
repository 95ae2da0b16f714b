using System.Diagnostics;

namespace CommEazy.Tests.Fixtures;

/// <summary>Whether a Docker engine answers here; integration tests are skipped with this reason where none does.</summary>
internal static class DockerEnvironment
{
    private static readonly Lazy<string?> Reason = new(() =>
    {
        try
        {
            var (exit, _, error) = Run("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(20));
            return exit == 0 ? null : $"no Docker engine answers (docker info: {error.Trim()}); run `eval \"$(../shared/ci/docker-up.sh)\"` first";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "the docker CLI is not installed";
        }
    });

    /// <summary>Null when Docker is usable; otherwise why integration tests cannot run.</summary>
    public static string? SkipReason => Reason.Value;

    /// <summary>Removes the volumes a test run created.</summary>
    public static async Task RemoveVolumesAsync(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            await Task.Run(() => Run("docker", ["volume", "rm", "-f", name], TimeSpan.FromSeconds(30)));
        }
    }

    /// <summary>Runs a command and returns its exit code, stdout and stderr.</summary>
    public static (int Exit, string Output, string Error) Run(string file, IEnumerable<string> args, TimeSpan timeout, string? stdin = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, WorkingDirectory = workingDirectory ?? "" };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList.Take(2))} did not finish within {timeout}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
