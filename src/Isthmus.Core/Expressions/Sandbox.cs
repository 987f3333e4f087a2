using Isthmus.Expressions.Functions;
using Jint;
using Jint.Native.Json;

namespace Isthmus.Expressions;

/// <summary>
/// One Jint engine locked down for expressions, with the built-in functions installed. A Jint engine is not
/// thread-safe and costs far more to create than an evaluation, so engines are pooled and one scope holds one.
/// </summary>
internal sealed class Sandbox
{
    /// <summary>Limits of one evaluation; documented in docs/expressions.md.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(100);
    internal const long MemoryLimit = 4 * 1024 * 1024;
    internal const int RecursionLimit = 64;
    internal const int StatementLimit = 10_000;

    /// <summary>The per-scope variables; every other global is made read-only so one run cannot leave traces for the next.</summary>
    internal static readonly string[] ScopeVariables = ["data", "event", "steps", "vars", "previous"];

    // Runs once per engine: freezes the shared built-ins and the global object, so an expression such as
    // "Math.max = null" or "globalThis.x = 1" fails instead of changing later evaluations on this engine.
    private const string LockDown = """
        for (const name of Object.getOwnPropertyNames(globalThis)) {
          if (!['data','event','steps','vars','previous'].includes(name)) {
            const d = Object.getOwnPropertyDescriptor(globalThis, name);
            if ('value' in d && (d.configurable || d.writable)) Object.defineProperty(globalThis, name, { writable: false, configurable: false });
          }
        }
        for (const o of [Object, Object.prototype, Array, Array.prototype, String, String.prototype, Number, Number.prototype,
                         Boolean.prototype, Date, Date.prototype, Math, JSON, Function.prototype, RegExp.prototype]) Object.freeze(o);
        Object.preventExtensions(globalThis);
        """;

    public Sandbox(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> codeTables)
    {
        // No AllowClr: scripts see no .NET types, no importNamespace, no require, no fetch.
        Engine = new Engine(options => options
            .Strict()
            .TimeoutInterval(Timeout)
            .LimitMemory(MemoryLimit)
            .LimitRecursion(RecursionLimit)
            .MaxStatements(StatementLimit));
        Json = new JsonParser(Engine);
        DateFunctions.Install(this);
        TextFunctions.Install(this);
        ValueFunctions.Install(this);
        LookupFunctions.Install(this, codeTables);
        foreach (var name in ScopeVariables)
        {
            Engine.SetValue(name, Jint.Native.JsValue.Null);
        }

        Engine.Execute(LockDown);
    }

    public Engine Engine { get; }

    public JsonParser Json { get; }

    /// <summary>The current scope's clock, read by <c>now()</c>.</summary>
    public DateTimeOffset Now { get; set; }

    /// <summary>Set after a sandbox limit fired: the engine may hold a half-finished state, so it is not reused.</summary>
    public bool Broken { get; set; }
}
