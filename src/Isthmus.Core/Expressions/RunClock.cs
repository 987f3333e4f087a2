using System.Globalization;
using Jint.Runtime;

namespace Isthmus.Expressions;

/// <summary>
/// What JavaScript's <c>Date.now()</c> and <c>new Date()</c> read inside the sandbox: the run's clock, as <c>now()</c>
/// does, so no expression can see the wall clock and a replay decides as the first run did. Local time is UTC,
/// so <c>getHours()</c> gives the same answer on every server.
/// </summary>
internal sealed class RunClock(Sandbox sandbox) : DefaultTimeSystem(TimeZoneInfo.Utc, CultureInfo.InvariantCulture)
{
    public override DateTimeOffset GetUtcNow() => sandbox.Now;
}
