using Isthmus.Configuration;

namespace Isthmus.Tests.Configuration;

public class YamlSettingsReaderTests
{
    private static (SettingNode? Root, List<ConfigError> Errors) Read(string yaml)
    {
        var errors = new List<ConfigError>();
        return (YamlSettingsReader.Read(yaml, "a.yaml", _ => null, errors), errors);
    }

    [Fact]
    public void Read_Scalars_KeepValueLocationAndQuoting()
    {
        var (root, errors) = Read("plain: 42\nsingle: '42'\ndouble: \"x\"\nblock: |\n  text\nnothing: ~\nempty:\n");
        Assert.Empty(errors);
        var map = Assert.IsType<SettingMap>(root);
        Assert.Equal(new SettingScalar("42", new SourceLocation("a.yaml", 1, 8)), map["plain"]);
        Assert.Equal(new SettingScalar("42", new SourceLocation("a.yaml", 2, 9), Quoted: true), map["single"]);
        Assert.True(((SettingScalar)map["double"]!).Quoted);
        Assert.Equal(("text\n", true), (((SettingScalar)map["block"]!).Value, ((SettingScalar)map["block"]!).Quoted));
        Assert.Null(((SettingScalar)map["nothing"]!).Value);
        Assert.Null(((SettingScalar)map["empty"]!).Value);
        Assert.Equal(new SourceLocation("a.yaml", 4, 1), map.KeyLocation("block"));
    }

    [Fact]
    public void Read_ListsAndNestedMaps_KeepOrderAndLocations()
    {
        var (root, _) = Read("a:\n  - x\n  - { b: 1, c: [2, 3] }\n");
        var list = Assert.IsType<SettingList>(((SettingMap)root!)["a"]);
        Assert.Equal(new SourceLocation("a.yaml", 2, 3), list.Location);
        var inner = Assert.IsType<SettingMap>(list.Items[1]);
        Assert.Equal(["b", "c"], inner.Entries.Select(e => e.Key));
        Assert.Equal(new SourceLocation("a.yaml", 3, 20), ((SettingList)inner["c"]!).Items[1].Location);
    }

    [Fact]
    public void Read_AnchorAndAlias_ReuseTheNode()
    {
        var (root, errors) = Read("base: &auth { type: none }\nother: *auth\nbad: *missing\n");
        var map = (SettingMap)root!;
        Assert.Same(map["base"], map["other"]);
        Assert.Equal("a.yaml:3:6: '*missing' refers to an anchor '&missing' that is not defined above", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Read_MergeKey_AddsOnlyTheKeysNotWritten()
    {
        var (root, errors) = Read("base: &b { kind: http, timeout: 5s }\nerp:\n  <<: *b\n  timeout: 10s\nbad:\n  <<: 3\n");
        var erp = (SettingMap)((SettingMap)root!)["erp"]!;
        Assert.Equal(["timeout=10s", "kind=http"], erp.Entries.Select(e => $"{e.Key}={((SettingScalar)e.Value).Value}"));
        Assert.Equal("a.yaml:6:7: '<<' merges a mapping, e.g. <<: *defaults; this is not a mapping", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Read_SecondDocument_IsRefused() =>
        Assert.StartsWith("a.yaml:2:1: a configuration file holds one YAML document", Assert.Single(Read("a: 1\n---\nb: 2\n").Errors).ToString(), StringComparison.Ordinal);

    [Fact]
    public void Read_ComplexKey_IsRefused() =>
        Assert.Equal("a.yaml:1:3: a key must be plain text (not empty, a list or a mapping)", Assert.Single(Read("? [a, b]\n: 1\n").Errors).ToString());

    [Fact]
    public void Read_UnclosedFlowSequence_ReportsAnError() =>
        Assert.Contains("not valid YAML", Assert.Single(Read("a: [1, 2\nb: 3\n").Errors).Message, StringComparison.Ordinal);

    [Fact]
    public void Load_RootThatIsNotAMapping_IsRefused() =>
        Assert.Equal(["isthmus.yaml:1:1: the file must be a mapping of sections such as 'connections:' and 'flows:'"], Configs.Errors("- a\n- b\n"));
}
