namespace Isthmus.Connectors.Chat;

/// <summary>
/// The <c>do:</c> values every chat connector offers, with the same arguments on every platform
/// (docs/connectors/chat.md). A platform without a native todo says so when the action is used.
/// </summary>
public static class ChatActions
{
    /// <summary><c>{to, text}</c>.</summary>
    public const string SendText = "send-text";

    /// <summary><c>{to, title?, text}</c>: Markdown in the platform's dialect.</summary>
    public const string SendMarkdown = "send-markdown";

    /// <summary><c>{to, card: {id, title, text?, fields?, buttons?, askComment?, url?}}</c>: an approval card.</summary>
    public const string SendCard = "send-card";

    /// <summary><c>{message, card: {id, title, status, fields?}}</c>: replace a sent card, buttons removed.</summary>
    public const string UpdateCard = "update-card";

    /// <summary><c>{to, title, description?, due?, url?}</c>: a todo/task for a person.</summary>
    public const string CreateTodo = "create-todo";
}
