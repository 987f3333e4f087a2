namespace Isthmus.Emulators.Records;

/// <summary>How a record-system emulator runs.</summary>
public sealed record RecordsEmulatorOptions
{
    /// <summary>The loopback port to listen on; 0 (the default) picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Record types created at start, each optionally with an id prefix: <c>customers:C-</c> gives ids <c>C-0001</c>,
    /// plain <c>projects</c> gives <c>1</c>, <c>2</c>, … Any other type is created on first use, with plain ids.
    /// </summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>When set, every <c>/api</c> call must send <c>Authorization: Bearer &lt;key&gt;</c> (else 401).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Change webhooks subscribed at start.</summary>
    public IReadOnlyList<WebhookSubscription> Webhooks { get; init; } = [];

    /// <summary>How many times a failed webhook is sent again before it counts as failed (default 3).</summary>
    public int WebhookRetries { get; init; } = 3;

    /// <summary>The emulator's clock (record times and webhook timestamps).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Where change notifications go, and the secret they are signed with.</summary>
public sealed record WebhookSubscription(string Url, string Secret);
