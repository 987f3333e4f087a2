using System.Text;

namespace Isthmus.Configuration;

/// <summary>
/// Notices edits to the configuration and reloads it. Every <see cref="Interval"/> it compares the size and
/// modification time of every file the last load read, and re-runs the include globs so a new file in
/// <c>flows/</c> counts as a change. A change is acted on only once nothing has changed for one more interval,
/// so an editor that saves in several writes (or a <c>git checkout</c>) causes one reload, not several.
/// The callback gets every <see cref="LoadResult"/>, failed ones included: the host decides whether to swap in
/// the new configuration or keep running the old one and log why.
/// </summary>
public sealed class ConfigurationWatcher : IDisposable
{
    /// <summary>The default polling interval.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly Action<LoadResult> _reloaded;
    private readonly Action<Exception>? _callbackFailed;
    private readonly Func<string, string?>? _environment;
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private IReadOnlyList<string> _files;
    private IReadOnlyList<string> _patterns;
    private string _loaded;
    private string? _pending;
    private bool _disposed;

    /// <summary>Starts watching the main file <paramref name="path"/>, whose last load gave <paramref name="current"/>.</summary>
    /// <param name="reloaded">Called on a timer thread after each reload.</param>
    /// <param name="callbackFailed">Called when <paramref name="reloaded"/> throws; watching goes on either way.</param>
    public ConfigurationWatcher(string path, LoadResult current, Action<LoadResult> reloaded, TimeProvider? timeProvider = null,
        TimeSpan? interval = null, Func<string, string?>? environment = null, Action<Exception>? callbackFailed = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        _path = Path.GetFullPath(path);
        _reloaded = reloaded;
        _callbackFailed = callbackFailed;
        _environment = environment;
        _files = current.Files;
        _patterns = current.IncludePatterns;
        _loaded = Fingerprint();
        var period = interval ?? Interval;
        _timer = (timeProvider ?? TimeProvider.System).CreateTimer(_ => Poll(), null, period, period);
    }

    /// <summary>Checks for changes once; the timer calls this, tests may too.</summary>
    internal void Poll()
    {
        LoadResult result;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = Fingerprint();
            if (now == _loaded)
            {
                _pending = null;
                return;
            }

            if (now != _pending)
            {
                _pending = now; // still changing, or just changed: wait for one quiet interval
                return;
            }

            result = ConfigurationLoader.Load(_path, _environment);
            if (result.Files.Count > 0)
            {
                _files = result.Files;
            }

            _patterns = result.IncludePatterns;
            _loaded = Fingerprint();
            _pending = null;
        }

        try
        {
            _reloaded(result);
        }
        catch (Exception e)
        {
            _callbackFailed?.Invoke(e);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }

    private string Fingerprint()
    {
        var text = new StringBuilder();
        foreach (var file in _files.Prepend(_path).Distinct(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            text.Append(file).Append('|').Append(info.Exists ? $"{info.Length}@{info.LastWriteTimeUtc.Ticks}" : "missing").Append('\n');
        }

        foreach (var pattern in _patterns)
        {
            text.Append(pattern).Append("=>").AppendJoin(';', IncludeGlob.Expand(pattern)).Append('\n');
        }

        return text.ToString();
    }
}
