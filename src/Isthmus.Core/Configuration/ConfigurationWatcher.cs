namespace Isthmus.Configuration;

/// <summary>Polls the configuration files and reloads when one changes.</summary>
public sealed class ConfigurationWatcher(string path, IReadOnlyList<string> files, TimeProvider time) : IDisposable
{
    private ITimer? _timer;
    private string _fingerprint = Fingerprint(path, files);
    private IReadOnlyList<string> _files = files;

    /// <summary>Raised with the result of each reload after a change.</summary>
    public event Action<LoadResult>? Changed;

    /// <summary>Starts polling every second.</summary>
    public void Start() => _timer = time.CreateTimer(_ => Check(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    private void Check()
    {
        var now = Fingerprint(path, _files);
        if (now == _fingerprint)
        {
            return;
        }

        _fingerprint = now;
        var result = ConfigurationLoader.Load(path);
        if (result.Config is not null)
        {
            _files = result.Config.Files;
        }

        Changed?.Invoke(result);
    }

    private static string Fingerprint(string path, IReadOnlyList<string> files) =>
        string.Join("|", files.Append(path).Distinct().Select(f => File.Exists(f) ? $"{f}:{File.GetLastWriteTimeUtc(f).Ticks}:{new FileInfo(f).Length}" : $"{f}:-"));

    /// <inheritdoc/>
    public void Dispose() => _timer?.Dispose();
}
