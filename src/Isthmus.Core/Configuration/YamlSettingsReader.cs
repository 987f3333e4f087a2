using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Isthmus.Configuration;

/// <summary>
/// Reads one YAML file into a <see cref="SettingNode"/> tree from the parser's events, so every node keeps the
/// line and column it was written at, duplicate keys are caught with both locations, and <c>${ENV}</c> references
/// are substituted in every scalar.
/// </summary>
internal sealed partial class YamlSettingsReader
{
    private readonly string _file;
    private readonly Func<string, string?> _environment;
    private readonly List<ConfigError> _errors;
    private readonly Dictionary<string, SettingNode> _anchors = new(StringComparer.Ordinal);
    private readonly Parser _parser;
    private Mark _lastMark = Mark.Empty;

    private YamlSettingsReader(string text, string file, Func<string, string?> environment, List<ConfigError> errors)
    {
        _file = file;
        _environment = environment;
        _errors = errors;
        _parser = new Parser(new StringReader(text));
    }

    /// <summary>The file's root node (an empty mapping for an empty file), or <c>null</c> when it is not valid YAML.</summary>
    public static SettingNode? Read(string text, string file, Func<string, string?> environment, List<ConfigError> errors) =>
        new YamlSettingsReader(text, file, environment, errors).ReadStream();

    private SettingNode? ReadStream()
    {
        try
        {
            Expect<StreamStart>();
            if (Accept<StreamEnd>() is not null)
            {
                return new SettingMap([], At(Mark.Empty));
            }

            Expect<DocumentStart>();
            var root = ReadNode();
            Expect<DocumentEnd>();
            if (_parser.Current is DocumentStart second)
            {
                _errors.Add(new ConfigError(At(second.Start), "a configuration file holds one YAML document; remove this '---' and what follows, or move it to its own file"));
            }

            return root;
        }
        catch (YamlException e)
        {
            var at = e.Start.Line > 0 ? e.Start : _lastMark;
            _errors.Add(new ConfigError(At(at), $"this is not valid YAML: {Explain(e.Message)}"));
            return null;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet throws this for a few malformed inputs (e.g. an unclosed '['); the last good position is the best hint.
            _errors.Add(new ConfigError(At(_lastMark), $"this is not valid YAML ({e.Message}); look for an unclosed bracket or quote near here"));
            return null;
        }
    }

    private SettingNode ReadNode()
    {
        var current = _parser.Current ?? throw new YamlException("unexpected end of the file");
        _lastMark = current.Start;
        switch (current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                if (_anchors.TryGetValue(alias.Value.Value, out var anchored))
                {
                    return anchored;
                }

                _errors.Add(new ConfigError(At(alias.Start), $"'*{alias.Value}' refers to an anchor '&{alias.Value}' that is not defined above"));
                return new SettingScalar(null, At(alias.Start));
            case Scalar scalar:
                _parser.MoveNext();
                return Remember(scalar.Anchor, ReadScalar(scalar));
            case SequenceStart start:
                _parser.MoveNext();
                var items = new List<SettingNode>();
                while (Accept<SequenceEnd>() is null)
                {
                    items.Add(ReadNode());
                }

                return Remember(start.Anchor, new SettingList(items, At(start.Start)));
            case MappingStart start:
                _parser.MoveNext();
                return Remember(start.Anchor, ReadMapping(start));
            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
    }

    private SettingScalar ReadScalar(Scalar scalar)
    {
        var location = At(scalar.Start);
        var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        if (plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL")
        {
            return new SettingScalar(null, location);
        }

        // Block scalars ('|', '>') are always text in YAML, as quoted ones are, so they count as quoted.
        return new SettingScalar(EnvironmentSubstitution.Apply(scalar.Value, _environment, location, _errors), location, Quoted: !plain);
    }

    private T Remember<T>(AnchorName anchor, T node)
        where T : SettingNode
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = node;
        }

        return node;
    }

    private T? Accept<T>()
        where T : ParsingEvent
    {
        if (_parser.Current is T found)
        {
            _lastMark = found.Start;
            _parser.MoveNext();
            return found;
        }

        return null;
    }

    private void Expect<T>()
        where T : ParsingEvent
    {
        if (_parser.Current is null)
        {
            _parser.MoveNext();
        }

        if (Accept<T>() is null)
        {
            var at = _parser.Current?.Start ?? _lastMark;
            throw new YamlException(at, at, $"expected {typeof(T).Name}");
        }
    }

    private SourceLocation At(Mark mark) => new(_file, Math.Max(1, (int)mark.Line), Math.Max(1, (int)mark.Column));

    private static string Explain(string message) =>
        message.Contains("did not find expected key", StringComparison.Ordinal)
            ? message + " Check the indentation of this line against the lines above it."
            : message;
}
