using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Isthmus.Emulation;

/// <summary>What an emulated platform remembers: its users, what was sent, callbacks made, tokens and send counts.</summary>
public sealed class EmulatorState(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (string App, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> _sends = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CallbackRecord> _callbacks = new();
    private readonly ConcurrentDictionary<string, SentMessage> _messages = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private long _ids;

    /// <summary>The emulator's clock.</summary>
    public TimeProvider Time => time;

    /// <summary>Users by id.</summary>
    public ConcurrentDictionary<string, EmulatedUser> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>How many tokens were issued.</summary>
    public int TokensIssued => _tokensIssued;

    private int _tokensIssued;

    /// <summary>Sent messages, oldest first.</summary>
    public IReadOnlyList<SentMessage> Messages => [.. _order.Select(id => _messages[id])];

    /// <summary>Callbacks made, oldest first.</summary>
    public IReadOnlyList<CallbackRecord> Callbacks => [.. _callbacks];

    /// <summary>A new platform-style id with <paramref name="prefix"/>.</summary>
    public string NextId(string prefix) => $"{prefix}{Interlocked.Increment(ref _ids):D6}";

    /// <summary>Adds a user.</summary>
    public EmulatedUser AddUser(EmulatedUser user) => Users[user.Id] = user;

    /// <summary>Finds a user by email, mobile or employee id.</summary>
    public EmulatedUser? FindUser(Func<EmulatedUser, bool> match) => Users.Values.FirstOrDefault(match);

    /// <summary>Records a sent message.</summary>
    public SentMessage Record(SentMessage message)
    {
        _messages[message.Id] = message;
        _order.Enqueue(message.Id);
        return message;
    }

    /// <summary>A sent message by id.</summary>
    public SentMessage? Message(string id) => _messages.GetValueOrDefault(id);

    /// <summary>Records a callback's outcome.</summary>
    public void Record(CallbackRecord callback) => _callbacks.Enqueue(callback);

    /// <summary>Issues a token for <paramref name="app"/> that lives <paramref name="lifetime"/>.</summary>
    public string IssueToken(string app, TimeSpan lifetime, string prefix = "")
    {
        Interlocked.Increment(ref _tokensIssued);
        var token = prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _tokens[token] = (app, time.GetUtcNow() + lifetime);
        return token;
    }

    /// <summary>Whether <paramref name="token"/> was issued and has not expired; <paramref name="expired"/> tells the two failures apart.</summary>
    public bool CheckToken(string? token, out bool expired)
    {
        expired = false;
        if (token is null || !_tokens.TryGetValue(token, out var entry))
        {
            return false;
        }

        expired = time.GetUtcNow() >= entry.Expires;
        return !expired;
    }

    /// <summary>Makes every issued token expire now (as if two hours had passed).</summary>
    public void ExpireTokens()
    {
        foreach (var (token, entry) in _tokens)
        {
            _tokens[token] = (entry.App, DateTimeOffset.MinValue);
        }
    }

    /// <summary>Counts one send for <paramref name="key"/>; <c>false</c> when the limit in the window is already used up.</summary>
    public bool TryCountSend(string key, int limit, TimeSpan window)
    {
        var now = time.GetUtcNow();
        var queue = _sends.GetOrAdd(key, _ => new ConcurrentQueue<DateTimeOffset>());
        lock (queue)
        {
            while (queue.TryPeek(out var first) && now - first >= window)
            {
                queue.TryDequeue(out _);
            }

            if (queue.Count >= limit)
            {
                return false;
            }

            queue.Enqueue(now);
            return true;
        }
    }
}
