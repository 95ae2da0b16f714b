using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>
/// Runs the production checklist against the test cluster and prints its table (see it with
/// <c>dotnet test --filter ProductionChecklist --logger "console;verbosity=detailed"</c>). Every automated item must pass.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class ProductionChecklistTests(CommEazyAppFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task ProductionChecklist_EveryAutomatedItemPasses()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var items = await new ProductionChecklist(cluster).RunAsync();
        var table = ProductionChecklist.Table(items);
        output.WriteLine(table);

        Assert.DoesNotContain(items, i => i.Verdict == ChecklistItem.Fail);
        Assert.Contains(items, i => i.Item == "prosody-1: c2s TLS 1.2+ only" && i.Verdict == ChecklistItem.Pass);
        Assert.True(items.Count(i => i.Verdict == ChecklistItem.Pass) >= 14, table);
        Assert.All(items.Where(i => i.Verdict == ChecklistItem.Manual), i => Assert.False(string.IsNullOrWhiteSpace(i.Detail)));
    }
}
