namespace Isthmus.Emulation;

/// <summary>How an emulator runs.</summary>
public sealed record EmulatorOptions
{
    /// <summary>The loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Where the platform sends callbacks, e.g. <c>http://127.0.0.1:8080/hooks/feishu</c>.</summary>
    public string? CallbackUrl { get; init; }

    /// <summary>How long issued access tokens live (the platforms say 7200 s).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>The emulator's clock (fake in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Scale for the platform's documented send limits: 1 is the real limit; tests raise or lower it.</summary>
    public double RateLimitScale { get; init; } = 1;
}
