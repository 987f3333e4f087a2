using System.Collections.Concurrent;

namespace Isthmus.Connectors;

/// <summary>
/// Remembers which platform user answers to an email, a mobile number, an employee id or another system's user id,
/// per connection, so a flow can address "the approver" by the OA's id and the lookup is made once.
/// </summary>
public interface IIdentityDirectory
{
    /// <summary>The platform user id kept for <paramref name="kind"/> = <paramref name="value"/>, if any.</summary>
    ValueTask<string?> FindAsync(string connection, string kind, string value, CancellationToken cancellationToken);

    /// <summary>Keeps (or replaces) a mapping. <paramref name="source"/> says who made it: <c>lookup</c> or <c>manual</c>.</summary>
    ValueTask SaveAsync(string connection, string kind, string value, string userId, string source, CancellationToken cancellationToken);
}

/// <summary>Identity kinds every chat connector understands in a recipient (<c>to:</c>).</summary>
public static class IdentityKinds
{
    /// <summary>An email address.</summary>
    public const string Email = "email";

    /// <summary>A mobile number.</summary>
    public const string Mobile = "mobile";

    /// <summary>The company's employee id (job number).</summary>
    public const string EmployeeId = "employeeId";

    /// <summary>Another system's user id, e.g. the OA's; mapped by hand (<c>PUT /api/v1/identities</c>).</summary>
    public const string External = "external";
}

/// <summary>A directory kept in memory: for <c>isthmus validate</c>, tests and connectors used without a host.</summary>
public sealed class InMemoryIdentityDirectory : IIdentityDirectory
{
    private readonly ConcurrentDictionary<(string, string, string), string> _entries = new();

    /// <inheritdoc/>
    public ValueTask<string?> FindAsync(string connection, string kind, string value, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_entries.TryGetValue((connection, kind, value), out var id) ? id : null);

    /// <inheritdoc/>
    public ValueTask SaveAsync(string connection, string kind, string value, string userId, string source, CancellationToken cancellationToken)
    {
        _entries[(connection, kind, value)] = userId;
        return ValueTask.CompletedTask;
    }
}
