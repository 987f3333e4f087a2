using System.Buffers;
using System.Text.Json;

namespace Isthmus.Benchmarks;

/// <summary>
/// Quick checks of the measuring parts (histogram, key set, event bodies, sentAt parsing), run with
/// <c>Isthmus.Benchmarks self-check</c>. Exit code 0 when all hold.
/// </summary>
public static class SelfCheck
{
    public static int Run()
    {
        var failures = new List<string>();
        void Check(bool ok, string what)
        {
            Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
            if (!ok)
            {
                failures.Add(what);
            }
        }

        // Histogram: 1..100,000 µs uniformly → p50 ≈ 50 ms, p99 ≈ 99 ms, p99.9 ≈ 99.9 ms, within 0.2%.
        var h = new LatencyRecorder();
        for (int v = 1; v <= 100_000; v++)
        {
            h.Record(v);
        }

        var s = h.Summarize();
        Check(Near(s.P50Ms, 50) && Near(s.P99Ms, 99) && Near(s.P999Ms, 99.9) && s.MaxMs == 100 && s.Samples == 100_000,
            $"histogram percentiles p50 {s.P50Ms} p99 {s.P99Ms} p99.9 {s.P999Ms} max {s.MaxMs}");
        bool monotonic = true;
        for (long v = 0; v < 1L << 24; v += 997)
        {
            int i = LatencyRecorder.Index(v);
            double mid = LatencyRecorder.Middle(i);
            monotonic &= Math.Abs(mid - v) <= Math.Max(1, v / 1000.0) && LatencyRecorder.Index(v + 997) >= i;
        }

        Check(monotonic, "histogram buckets are ordered and within 0.1% of the value");

        var keys = new KeySet();
        Check(keys.Add("a:1") && keys.Add("a:2") && !keys.Add("a:1"), "key set reports a repeated key");

        var events = new EventFactory("check");
        var buffer = new byte[EventFactory.MaxBodyBytes];
        var e1 = events.Create(buffer);
        var body = buffer.AsSpan(0, e1.Length).ToArray();
        using var doc = JsonDocument.Parse(body);
        var data = doc.RootElement.GetProperty("data");
        long sentAt = data.GetProperty("sentAt").GetInt64();
        Check(doc.RootElement.GetProperty("id").GetString() == "check-1" && data.GetProperty("orderId").GetString() == "o-0001"
              && Math.Abs(sentAt - Clock.NowUs()) < 1_000_000 && sentAt.ToString().Length == 13,
            $"event body is valid JSON: {System.Text.Encoding.UTF8.GetString(body)}");
        Check(e1.Signature == EventFactory.Sign(body) && e1.Signature.StartsWith("sha256=", StringComparison.Ordinal) && e1.Signature.Length == 71,
            "signature is sha256=<64 lowercase hex>");
        // Reference value from: printf '{}' | openssl dgst -sha256 -hmac bench-secret
        Check(EventFactory.Sign("{}"u8) == "sha256=600dbc9bcec90b261f9ecf186357466f3c200be82ef963a502bff2efdf290ff4",
            "signature matches openssl's HMAC-SHA256 of the raw body with the configured secret");

        Check(Sink.FindSentAt(new ReadOnlySequence<byte>("""{"orderId":"o-1","sentAt":1000012345678,"x":{"sentAt":1}}"""u8.ToArray())) == 1000012345678, "sink reads an integer sentAt");
        Check(Sink.FindSentAt(new ReadOnlySequence<byte>("""{"sentAt":1.000012345678E+12}"""u8.ToArray())) == 1000012345678, "sink reads a sentAt written as a double");
        Check(Sink.FindSentAt(new ReadOnlySequence<byte>("""{"sentAt":"1000012345678"}"""u8.ToArray())) == 1000012345678, "sink reads a sentAt written as a string");
        Check(Sink.FindSentAt(new ReadOnlySequence<byte>("""{"orderId":"o-1"}"""u8.ToArray())) == -1, "sink reports a missing sentAt");

        Console.WriteLine(failures.Count == 0 ? "all checks passed" : $"{failures.Count} check(s) failed");
        return failures.Count == 0 ? 0 : 1;
    }

    static bool Near(double actual, double expected) => Math.Abs(actual - expected) <= expected * 0.002;
}
