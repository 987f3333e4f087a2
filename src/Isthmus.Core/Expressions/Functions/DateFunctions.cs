using System.Globalization;
using Jint;
using Jint.Native;
using Jint.Runtime;
using static Isthmus.Expressions.Functions.BuiltIn;

namespace Isthmus.Expressions.Functions;

/// <summary><c>now</c>, <c>formatDate</c>, <c>parseDate</c>, <c>addDays</c>, <c>addHours</c>.</summary>
internal static class DateFunctions
{
    private const DateTimeStyles Utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces;

    public static void Install(Sandbox sandbox)
    {
        var engine = sandbox.Engine;

        // The run's clock, never the wall clock: a replay must take the same decisions as the first run.
        Define(engine, "now", 0, _ => new JsDate(engine, sandbox.Now));

        Define(engine, "formatDate", 3, args =>
        {
            if (args.Arg(0).IsMissing())
            {
                return JsValue.Null;
            }

            var date = ToDate(sandbox, "formatDate", args.Arg(0));
            var format = args.Arg(1).IsMissing() ? "yyyy-MM-dd'T'HH:mm:ssK" : Text(args.Arg(1));
            if (!args.Arg(2).IsMissing())
            {
                var zone = FindZone(sandbox, Text(args.Arg(2)));
                date = TimeZoneInfo.ConvertTime(date, zone);
            }

            try
            {
                return new JsString(date.ToString(format, CultureInfo.InvariantCulture));
            }
            catch (FormatException)
            {
                throw Error(engine, $"formatDate: '{format}' is not a valid date format; write e.g. yyyy-MM-dd HH:mm");
            }
        });

        Define(engine, "parseDate", 2, args =>
        {
            if (args.Arg(0).IsMissing())
            {
                return JsValue.Null;
            }

            var text = Text(args.Arg(0));
            var parsed = args.Arg(1).IsMissing()
                ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, Utc, out var value)
                : DateTimeOffset.TryParseExact(text, Text(args.Arg(1)), CultureInfo.InvariantCulture, Utc, out value);
            return parsed ? new JsDate(engine, value) : throw Error(engine, $"parseDate: '{text}' is not a date");
        });

        Define(engine, "addDays", 2, args => Add(sandbox, "addDays", args, TimeSpan.FromDays(1)));
        Define(engine, "addHours", 2, args => Add(sandbox, "addHours", args, TimeSpan.FromHours(1)));
    }

    private static JsDate Add(Sandbox sandbox, string function, JsValue[] args, TimeSpan unit)
    {
        var date = ToDate(sandbox, function, args.Arg(0));
        var count = TypeConverter.ToNumber(args.Arg(1));
        if (!double.IsFinite(count))
        {
            throw Error(sandbox.Engine, $"{function}: '{Text(args.Arg(1))}' is not a number");
        }

        return new JsDate(sandbox.Engine, date + unit * count);
    }

    /// <summary>Accepts a Date, an ISO-8601 text (UTC unless it says otherwise) or milliseconds since 1970.</summary>
    internal static DateTimeOffset ToDate(Sandbox sandbox, string function, JsValue value)
    {
        switch (value)
        {
            case JsDate date when !double.IsNaN(date.DateValue):
                return DateTimeOffset.FromUnixTimeMilliseconds((long)date.DateValue);
            case JsNumber number when double.IsFinite(number.AsNumber()):
                return DateTimeOffset.FromUnixTimeMilliseconds((long)number.AsNumber());
            case JsString text when DateTimeOffset.TryParse(text.ToString(), CultureInfo.InvariantCulture, Utc, out var parsed):
                return parsed;
            default:
                throw Error(sandbox.Engine, $"{function}: '{Text(value)}' is not a date; pass a date, an ISO-8601 text or milliseconds");
        }
    }

    private static TimeZoneInfo FindZone(Sandbox sandbox, string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw Error(sandbox.Engine, $"formatDate: unknown time zone '{id}'; write an IANA name such as Asia/Shanghai or UTC");
        }
    }
}
