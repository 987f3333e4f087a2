using Isthmus.Emulation;
using Isthmus.Emulators.AgoraChat;

namespace Isthmus.Emulators;

/// <summary>The platform emulators this build carries, by the name <c>isthmus emulate</c> takes.</summary>
public static class EmulatorCatalog
{
    /// <summary>Creates an emulator per platform name.</summary>
    public static IReadOnlyDictionary<string, Func<EmulatorOptions, PlatformEmulator>> Platforms { get; } =
        new Dictionary<string, Func<EmulatorOptions, PlatformEmulator>>(StringComparer.OrdinalIgnoreCase)
        {
            ["agora-chat"] = o => new AgoraChatEmulator(o),
            ["feishu"] = o => new Isthmus.Emulators.Feishu.FeishuEmulator(o),
            ["lark"] = o => new Isthmus.Emulators.Feishu.FeishuEmulator(o),
            ["slack"] = o => new Isthmus.Emulators.Slack.SlackEmulator(o),
            ["wecom"] = o => new Isthmus.Emulators.WeCom.WeComEmulator(o),
            ["dingtalk"] = o => new Isthmus.Emulators.DingTalk.DingTalkEmulator(o),
        };

    /// <summary>The record-system emulator (an OA/CRM/ERP stand-in), run by <c>isthmus emulate records</c>.</summary>
    public static Func<Isthmus.Emulators.Records.RecordsEmulatorOptions, Isthmus.Emulators.Records.RecordsEmulator> Records { get; } = o => new(o);
}
