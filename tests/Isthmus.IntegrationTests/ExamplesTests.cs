using Isthmus.Configuration;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests;

/// <summary>The shipped examples and the demo configuration stay valid.</summary>
public sealed class ExamplesTests
{
    public static TheoryData<string> Examples() => new(Directory.GetFiles(Path.Combine(Repository.Root, "examples"), "isthmus.yaml", SearchOption.AllDirectories));

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_Validates(string path)
    {
        var errors = await Repository.ValidateAsync(ConfigurationLoader.Load(path, Repository.Environment));
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }
}
