using Isthmus.Deliveries;

namespace Isthmus.Tests.Deliveries;

public class BackoffTests
{
    [Theory]
    [InlineData(1, 0.0, 500)]
    [InlineData(1, 1.0, 1000)]
    [InlineData(3, 0.0, 2000)]
    [InlineData(3, 1.0, 4000)]
    [InlineData(20, 1.0, 60000)]
    public void Delay_DoublesWithJitter_AndIsCapped(int retry, double random, double expectedMs) =>
        Assert.Equal(expectedMs, Backoff.Delay(retry, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), null, random).TotalMilliseconds, 3);

    [Fact]
    public void Delay_HonoursALongerRetryAfter() =>
        Assert.Equal(TimeSpan.FromSeconds(30), Backoff.Delay(1, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30), 0.5));

    [Fact]
    public void Delay_IgnoresAShorterRetryAfter() =>
        Assert.Equal(TimeSpan.FromSeconds(3), Backoff.Delay(3, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), 0.5));
}
