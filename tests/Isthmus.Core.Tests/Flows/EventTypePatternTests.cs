using Isthmus.Flows;

namespace Isthmus.Tests.Flows;

public class EventTypePatternTests
{
    [Theory]
    [InlineData("approval.*", "approval.updated", true)]
    [InlineData("approval.*", "approval.", true)]
    [InlineData("approval.*", "order.updated", false)]
    [InlineData("*", "anything.at.all", true)]
    [InlineData("order.created", "order.created", true)]
    [InlineData("order.created", "order.created.v2", false)]
    [InlineData("*.updated", "order.updated", true)]
    [InlineData("*.updated", "order.updated.x", false)]
    [InlineData("a*b*c", "a-x-b-y-c", true)]
    [InlineData("a*b*c", "a-x-c-y-b", false)]
    public void Matches_Glob_AsExpected(string pattern, string type, bool expected) =>
        Assert.Equal(expected, new EventTypePattern(pattern).Matches(type));
}
