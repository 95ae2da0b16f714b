namespace CommEazy.Tests.Fixtures;

/// <summary>
/// Figures a test measures (latencies, recovery times): printed to the test's output and collected in
/// <c>TestResults/figures.txt</c> at the repository root, which <c>.ci/run</c> prints at the end. Never asserted on.
/// </summary>
internal static class Figures
{
    private static readonly Lock Gate = new();

    public static void Print(ITestOutputHelper output, string figure)
    {
        output.WriteLine(figure);
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CommEazy.sln")))
        {
            directory = directory.Parent;
        }
        if (directory is null)
        {
            return;
        }
        var results = Directory.CreateDirectory(Path.Combine(directory.FullName, "TestResults"));
        lock (Gate)
        {
            File.AppendAllText(Path.Combine(results.FullName, "figures.txt"), $"{DateTimeOffset.UtcNow:u} {figure}{Environment.NewLine}");
        }
    }
}
