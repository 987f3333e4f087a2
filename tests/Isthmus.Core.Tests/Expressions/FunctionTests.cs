namespace Isthmus.Tests.Expressions;

public class FunctionTests
{
    [Theory]
    [InlineData("now()", "\"2026-03-04T05:06:07.000Z\"")]
    [InlineData("formatDate(now(), 'yyyy-MM-dd HH:mm')", "\"2026-03-04 05:06\"")]
    [InlineData("formatDate(now(), 'yyyy-MM-dd HH:mm', 'Asia/Shanghai')", "\"2026-03-04 13:06\"")]
    [InlineData("formatDate('2026-01-31T20:00:00Z', 'yyyy/MM/dd', 'Asia/Shanghai')", "\"2026/02/01\"")]
    [InlineData("formatDate(data.missing, 'yyyy')", "null")]
    [InlineData("parseDate('2026-05-06 07:08:09')", "\"2026-05-06T07:08:09.000Z\"")]
    [InlineData("parseDate('2026-05-06T07:08:09+08:00')", "\"2026-05-05T23:08:09.000Z\"")]
    [InlineData("parseDate('06/05/2026', 'dd/MM/yyyy')", "\"2026-05-06T00:00:00.000Z\"")]
    [InlineData("addDays(now(), 30)", "\"2026-04-03T05:06:07.000Z\"")]
    [InlineData("addDays('2026-03-01T00:00:00Z', -1)", "\"2026-02-28T00:00:00.000Z\"")]
    [InlineData("addHours(now(), 1.5)", "\"2026-03-04T06:36:07.000Z\"")]
    [InlineData("now().getTime() === parseDate('2026-03-04T05:06:07Z').getTime()", "true")]
    [InlineData("[Date.now() === now().getTime(), new Date().toISOString()]", "[true,\"2026-03-04T05:06:07.000Z\"]")]
    [InlineData("new Date(2026, 0, 1, 8).toISOString()", "\"2026-01-01T08:00:00.000Z\"")]
    public void DateFunctions_Value_AsDocumented(string source, string expected) => Assert.Equal(expected, Scopes.Eval(source));

    [Theory]
    [InlineData("formatNumber(1234567.5, 2)", "\"1,234,567.50\"")]
    [InlineData("formatNumber(data.amount)", "\"1,235\"")]
    [InlineData("formatNumber('-9876.125', 2)", "\"-9,876.13\"")]
    [InlineData("round(2.675, 2)", "2.68")]
    [InlineData("round(data.amount)", "1235")]
    [InlineData("round(-1.5)", "-2")]
    [InlineData("toNumber('1,234.5')", "1234.5")]
    [InlineData("toNumber(' 42 ')", "42")]
    [InlineData("toNumber(true)", "1")]
    [InlineData("toNumber(data.missing)", "null")]
    [InlineData("toString(42)", "\"42\"")]
    [InlineData("toString(data.missing)", "\"\"")]
    [InlineData("toString({a: [1]})", "\"{\\u0022a\\u0022:[1]}\"")]
    [InlineData("json({a: 'x', b: null})", "\"{\\u0022a\\u0022:\\u0022x\\u0022,\\u0022b\\u0022:null}\"")]
    [InlineData("json(undefined)", "\"null\"")]
    [InlineData("coalesce(data.missing, null, '', 'first', 'second')", "\"first\"")]
    [InlineData("coalesce(data.missing, 0)", "0")]
    [InlineData("coalesce()", "null")]
    [InlineData("[isEmpty(null), isEmpty(''), isEmpty('  '), isEmpty([]), isEmpty({})]", "[true,true,true,true,true]")]
    [InlineData("[isEmpty(0), isEmpty('x'), isEmpty([0]), isEmpty({a: 1}), isEmpty(false)]", "[false,false,false,false,false]")]
    public void ValueFunctions_Value_AsDocumented(string source, string expected) =>
        Assert.Equal(expected, Scopes.Eval(source, """{"amount":1234.56}"""));

    [Theory]
    [InlineData("contains('approval.updated', 'updated')", "true")]
    [InlineData("contains(data.tags, 'vip')", "true")]
    [InlineData("contains(data.tags, 'vi')", "false")]
    [InlineData("contains(data.nums, 2)", "true")]
    [InlineData("contains(data.missing, 'x')", "false")]
    [InlineData("startsWith(data.code, 'SO-')", "true")]
    [InlineData("startsWith(data.missing, 'SO-')", "false")]
    [InlineData("endsWith(data.code, '-7')", "true")]
    [InlineData("endsWith(data.code, 'SO')", "false")]
    [InlineData("upper(data.code)", "\"SO-7\"")]
    [InlineData("lower(data.code)", "\"so-7\"")]
    [InlineData("upper(data.missing)", "null")]
    [InlineData("trim('  hi \\t')", "\"hi\"")]
    [InlineData("data.code.split('-')[1].padStart(3, '0')", "\"007\"")]
    public void TextFunctions_Value_AsDocumented(string source, string expected) =>
        Assert.Equal(expected, Scopes.Eval(source, """{"tags":["vip","north"],"nums":[1,2],"code":"SO-7"}"""));

    [Theory]
    [InlineData("lookup('approvalStatus', data.status)", "\"approved\"")]
    [InlineData("lookup('approvalStatus', '审批中', 'pending')", "\"pending\"")]
    [InlineData("lookup('approvalStatus', '审批中', null)", "null")]
    public void Lookup_Code_MapsThroughCodeTable(string source, string expected) =>
        Assert.Equal(expected, Scopes.Eval(source, """{"status":"已批准"}"""));

    [Fact]
    public void Lookup_MissingCodeWithoutFallback_FailsNamingTableAndCode()
    {
        var error = Scopes.Fails("lookup('approvalStatus', '审批中')");
        Assert.Contains("code '审批中' is not in code table 'approvalStatus'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lookup_UnknownTable_FailsListingDeclaredTables()
    {
        var error = Scopes.Fails("lookup('status', 'x')");
        Assert.Contains("no code table 'status' (declared: approvalStatus)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("formatDate(now(), 'yyyy', 'Mars/Olympus')", "unknown time zone 'Mars/Olympus'")]
    [InlineData("formatDate('not a date', 'yyyy')", "'not a date' is not a date")]
    [InlineData("parseDate('31/31/2026', 'dd/MM/yyyy')", "parseDate: '31/31/2026' is not a date")]
    [InlineData("toNumber('abc')", "toNumber: 'abc' is not a number")]
    [InlineData("round(1.5, -1)", "decimals must be a whole number from 0 to 15")]
    [InlineData("addDays(now(), 'x')", "addDays: 'x' is not a number")]
    public void Functions_BadArgument_FailWithReadableReason(string source, string expected) =>
        Assert.Contains(expected, Scopes.Fails(source).Message, StringComparison.Ordinal);
}
