using System.Globalization;
using System.Text.Json;

namespace Isthmus.Connectors.Chat;

/// <summary>
/// Reads a delivery's JSON arguments. A missing or mistyped argument is the flow's mistake, so it is
/// <see cref="FailureKind.Rejected"/> (dead-lettered, not retried) with the argument's name in the message.
/// </summary>
public readonly struct ActionPayload
{
    private readonly JsonElement _root;
    private readonly string _action;

    private ActionPayload(JsonElement root, string action)
    {
        _root = root;
        _action = action;
    }

    /// <summary>The arguments as JSON.</summary>
    public JsonElement Root => _root;

    /// <summary>Parses a delivery's payload.</summary>
    public static ActionPayload Of(Delivery delivery)
    {
        try
        {
            var root = JsonDocument.Parse(delivery.Payload).RootElement;
            return root.ValueKind == JsonValueKind.Object ? new ActionPayload(root, delivery.Action)
                : throw Invalid(delivery.Action, $"the arguments must be an object, not {root.ValueKind}");
        }
        catch (JsonException ex)
        {
            throw Invalid(delivery.Action, "the arguments are not JSON: " + ex.Message);
        }
    }

    /// <summary>Wraps an object argument (e.g. <c>card</c>).</summary>
    public ActionPayload Section(string name)
    {
        var value = Optional(name);
        return value is { ValueKind: JsonValueKind.Object } v ? new ActionPayload(v, $"{_action}.{name}")
            : throw Invalid(_action, value is null ? $"'{name}' is required" : $"'{name}' must be an object");
    }

    /// <summary>The argument, or <c>null</c> when absent or JSON null.</summary>
    public JsonElement? Optional(string name) =>
        _root.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? v : null;

    /// <summary>A required text argument; numbers and booleans are written as text.</summary>
    public string Text(string name) => OptionalText(name) ?? throw Invalid(_action, $"'{name}' is required");

    /// <summary>An optional text argument; numbers and booleans are written as text.</summary>
    public string? OptionalText(string name) => Optional(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } v => v.GetRawText(),
        _ => throw Invalid(_action, $"'{name}' must be text"),
    };

    /// <summary>An optional boolean argument.</summary>
    public bool Flag(string name) => Optional(name) switch
    {
        null => false,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Invalid(_action, $"'{name}' must be true or false"),
    };

    /// <summary>A refusal of the flow's arguments.</summary>
    public ConnectorException Invalid(string problem) => Invalid(_action, problem);

    /// <summary>A refusal of the flow's arguments for <paramref name="action"/>.</summary>
    public static ConnectorException Invalid(string action, string problem) =>
        new($"{action}: {problem}", FailureKind.Rejected);

    /// <summary>Formats a scalar JSON value for display on a card.</summary>
    public static string Display(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Number => value.TryGetDecimal(out var d) ? d.ToString(CultureInfo.InvariantCulture) : value.GetRawText(),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null => "",
        _ => value.GetRawText(),
    };
}
