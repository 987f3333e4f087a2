using Isthmus.Expressions.Functions;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime.Descriptors;

namespace Isthmus.Expressions;

/// <summary>
/// One Jint engine locked down for expressions, with the built-in functions installed. A Jint engine is not
/// thread-safe and costs far more to create than an evaluation, so engines are pooled and one scope holds one.
/// </summary>
internal sealed class Sandbox
{
    /// <summary>Limits of one evaluation; documented in docs/expressions.md.</summary>
    // Wall-clock, so generous: on a busy 2-core machine a legitimate evaluation can be descheduled for tens of
    // milliseconds. Runaway loops are stopped sooner by the statement limit.
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    internal const long MemoryLimit = 4 * 1024 * 1024;
    internal const int RecursionLimit = 64;
    internal const int StatementLimit = 10_000;

    /// <summary>The per-scope variables; every other global is made read-only so one run cannot leave traces for the next.</summary>
    internal static readonly string[] ScopeVariables = ["data", "event", "steps", "vars", "previous", "value", "record", "entity"];

    // Shared built-ins an expression could otherwise change for every later evaluation on the same engine.
    private static readonly string[] Frozen = ["Object", "Array", "String", "Number", "Boolean", "Date", "Math", "JSON", "Function", "RegExp"];

    // The first run of each interpreter path pays for JIT compilation, which on a busy machine can approach the
    // time limit; running typical expressions once per process, without limits, keeps that cost off real runs.
    private static readonly Lazy<bool> WarmedUp = new(() =>
    {
        new Engine().Evaluate("""
            const d = JSON.parse('{"a":{"b":[1,2,3]},"s":"x-y"}');
            [d.a.b.map(x => x * 2).filter(x => x > 2).length > 1 && d.s.split('-')[0] === 'x', `${d.a.b[0]}`, new Date(0).toISOString(),
             Object.keys(d).concat(d.s.toUpperCase()), typeof d.missing?.x ?? 0, Math.max(...d.a.b)];
            """);
        return true;
    });

    public Sandbox(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> codeTables)
    {
        _ = WarmedUp.Value;
        // No AllowClr: scripts see no .NET types, no importNamespace, no require, no fetch.
        Engine = new Engine(options =>
        {
            options.TimeSystem = new RunClock(this);
            // No code from strings (eval, new Function, a function's constructor): an expression is the code it shows, which
            // is also what lets a scope give the engine only the variables an expression names.
            options
            .DisableStringCompilation()
            .LocalTimeZone(TimeZoneInfo.Utc)
            .Strict()
            .TimeoutInterval(Timeout)
            .LimitMemory(MemoryLimit)
            .LimitRecursion(RecursionLimit)
            .MaxStatements(StatementLimit);
        });
        Json = new JsonParser(Engine);
        DateFunctions.Install(this);
        TextFunctions.Install(this);
        ValueFunctions.Install(this);
        LookupFunctions.Install(this, codeTables);
        EntityFunctions.Install(this);
        foreach (var name in ScopeVariables)
        {
            Engine.SetValue(name, JsValue.Null);
        }

        LockDown();
    }

    public Engine Engine { get; }

    public JsonParser Json { get; }

    /// <summary>The current scope's clock, read by <c>now()</c>.</summary>
    public DateTimeOffset Now { get; set; }

    /// <summary>The current scope's entity lookup, read by <c>findEntity()</c> and <c>linkedEntity()</c>; <c>null</c> outside flows.</summary>
    public IEntityLookup? Entities { get; set; }

    /// <summary>Set after a sandbox limit fired: the engine may hold a half-finished state, so it is not reused.</summary>
    public bool Broken { get; set; }

    /// <summary>
    /// Freezes the shared built-ins and the global object, so "Math.max = null" or "globalThis.x = 1" fails
    /// instead of changing later evaluations. Done from .NET rather than script so the time limit cannot cut it short.
    /// </summary>
    private void LockDown()
    {
        var global = Engine.Global;
        foreach (var name in Frozen)
        {
            if (global.Get(name) is ObjectInstance builtIn)
            {
                Freeze(builtIn);
                if (builtIn.Get("prototype") is ObjectInstance prototype)
                {
                    Freeze(prototype);
                }
            }
        }

        foreach (var key in global.GetOwnPropertyKeys())
        {
            if (!ScopeVariables.Contains(key.ToString()))
            {
                Seal(global, key);
            }
        }

        global.PreventExtensions();
    }

    private static void Freeze(ObjectInstance target)
    {
        foreach (var key in target.GetOwnPropertyKeys())
        {
            Seal(target, key);
        }

        target.PreventExtensions();
    }

    private static void Seal(ObjectInstance target, JsValue key)
    {
        var property = target.GetOwnProperty(key);
        if (property != PropertyDescriptor.Undefined && !property.IsAccessorDescriptor())
        {
            target.DefineOwnProperty(key, new PropertyDescriptor(property.Value, writable: false, enumerable: property.Enumerable, configurable: false));
        }
    }
}
