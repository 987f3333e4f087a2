using System.Text.Json;

namespace Isthmus.Connectors.Chat;

/// <summary>
/// Who a message goes to (<c>to:</c>): exactly one of <c>user</c> (platform user id), <c>email</c>, <c>mobile</c>,
/// <c>employeeId</c>, <c>external</c> (another system's user id, mapped by hand), <c>chat</c> (a group or channel id)
/// or <c>bot</c> (a configured group-bot webhook by name).
/// </summary>
public sealed record Recipient(string Kind, string Value)
{
    /// <summary>The recognised kinds, in the order they are documented.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["user", IdentityKinds.Email, IdentityKinds.Mobile, IdentityKinds.EmployeeId, IdentityKinds.External, "chat", "bot"];

    /// <summary>Whether this names a person (as opposed to a chat or a bot).</summary>
    public bool IsPerson => Kind is not ("chat" or "bot");

    /// <summary>Reads <c>to</c> from the payload.</summary>
    public static Recipient Read(ActionPayload payload, string name = "to")
    {
        var to = payload.Optional(name) ?? throw payload.Invalid($"'{name}' is required, e.g. {name}: {{ email: li.wei@example.com }}");
        if (to.ValueKind != JsonValueKind.Object)
        {
            throw payload.Invalid($"'{name}' must be an object with one of: {string.Join(", ", Kinds)}");
        }

        var present = to.EnumerateObject().Where(p => p.Value.ValueKind is not JsonValueKind.Null).ToList();
        if (present.Count != 1 || !Kinds.Contains(present[0].Name))
        {
            throw payload.Invalid($"'{name}' must have exactly one of {string.Join(", ", Kinds)}; it has: {string.Join(", ", present.Select(p => p.Name))}");
        }

        var value = ActionPayload.Display(present[0].Value);
        return value.Length == 0 ? throw payload.Invalid($"'{name}.{present[0].Name}' is empty") : new Recipient(present[0].Name, value);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Value}";
}

/// <summary>
/// Turns a person recipient into the platform's user id: directly for <c>user</c>, from the identity directory when
/// known, otherwise through the platform's lookup (by email, mobile, employee id), remembering the answer.
/// </summary>
/// <param name="lookup">The platform's lookup: (kind, value) → user id, or <c>null</c> when nobody matches.</param>
public sealed class RecipientResolver(string connection, IIdentityDirectory directory,
    Func<string, string, CancellationToken, Task<string?>> lookup)
{
    /// <summary>The platform user id for <paramref name="recipient"/>; a <see cref="FailureKind.Rejected"/> error when nobody matches.</summary>
    public async ValueTask<string> UserIdAsync(Recipient recipient, CancellationToken cancellationToken)
    {
        if (recipient.Kind == "user")
        {
            return recipient.Value;
        }

        if (!recipient.IsPerson)
        {
            throw new ConnectorException($"'{recipient}' is not a person", FailureKind.Rejected);
        }

        if (await directory.FindAsync(connection, recipient.Kind, recipient.Value, cancellationToken).ConfigureAwait(false) is { } known)
        {
            return known;
        }

        if (recipient.Kind == IdentityKinds.External)
        {
            throw new ConnectorException(
                $"no user of '{connection}' is mapped to external id '{recipient.Value}'; map one with PUT /api/v1/identities " +
                $"{{\"connection\":\"{connection}\",\"kind\":\"external\",\"value\":\"{recipient.Value}\",\"userId\":\"…\"}}",
                FailureKind.Rejected);
        }

        var found = await lookup(recipient.Kind, recipient.Value, cancellationToken).ConfigureAwait(false)
            ?? throw new ConnectorException($"no user of '{connection}' has {recipient.Kind} '{recipient.Value}'", FailureKind.Rejected);
        await directory.SaveAsync(connection, recipient.Kind, recipient.Value, found, "lookup", cancellationToken).ConfigureAwait(false);
        return found;
    }
}
