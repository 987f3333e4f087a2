using Isthmus.Emulation;

namespace Isthmus.Emulators;

/// <summary>The platform emulators this build carries, by the name <c>isthmus emulate</c> takes.</summary>
public static class EmulatorCatalog
{
    /// <summary>Creates an emulator per platform name.</summary>
    public static IReadOnlyDictionary<string, Func<EmulatorOptions, PlatformEmulator>> Platforms { get; } =
        new Dictionary<string, Func<EmulatorOptions, PlatformEmulator>>(StringComparer.OrdinalIgnoreCase)
        {
            ["dingtalk"] = o => new Isthmus.Emulators.DingTalk.DingTalkEmulator(o),
        };
}
