using System.Text.RegularExpressions;
using Isthmus.Configuration;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests;

/// <summary>
/// Every <c>```yaml</c> block of the sync docs that starts with a top-level key is a whole configuration and must pass
/// <c>isthmus validate</c>; blocks that start with a comment or indentation are fragments and are skipped.
/// </summary>
public sealed partial class DocsExamplesTests
{
    private static readonly string[] Docs = ["docs/model.md", "docs/mappings.md", "docs/sync.md", "docs/reconciliation.md"];

    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var doc in Docs)
        {
            foreach (var (line, _) in FullConfigs(doc))
            {
                data.Add(doc, line);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task Full_configuration_in_the_docs_validates(string doc, int line)
    {
        var yaml = FullConfigs(doc).Single(b => b.Line == line).Yaml;
        var errors = await Repository.ValidateAsync(ConfigurationLoader.LoadText(yaml, $"{doc}:{line}", Path.GetTempPath(), Repository.Environment));
        Assert.True(errors.Count == 0, $"{doc}, block at line {line}:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    [Fact]
    public void Each_sync_document_holds_at_least_one_full_configuration()
    {
        // Guards the theory above: a renamed file or a changed fence would otherwise test nothing.
        foreach (var doc in Docs)
        {
            Assert.True(FullConfigs(doc).Count > 0, $"{doc} has no ```yaml block that starts with a top-level key");
        }
    }

    private static List<(int Line, string Yaml)> FullConfigs(string doc)
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, doc));
        var blocks = new List<(int, string)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```yaml")
            {
                continue;
            }

            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            if (start < end && TopLevelKey().IsMatch(lines[start]))
            {
                blocks.Add((start + 1, string.Join('\n', lines[start..end])));
            }

            i = end;
        }

        return blocks;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*:")]
    private static partial Regex TopLevelKey();

}
