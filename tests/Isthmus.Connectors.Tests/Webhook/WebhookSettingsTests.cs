using Isthmus.Connectors.Tests.Support;
using Isthmus.Connectors.Webhook;

namespace Isthmus.Connectors.Tests.Webhook;

public sealed class WebhookSettingsTests
{
    private static List<string> Errors(string yaml) =>
        [.. Connections.Create<IInboundConnector>(new WebhookConnectorFactory(), yaml).Errors.Select(e => e.ToString())];

    [Fact]
    public void Create_FullExampleFromDocs_HasNoErrors()
    {
        Assert.Empty(Errors("""
            kind: webhook
            auth:
              type: hmac-sha256
              secret: s3cret
              header: X-Hub-Signature-256
              prefix: "sha256="
              encoding: hex
              timestampHeader: X-Timestamp
              tolerance: 5m
            eventId:
              header: X-Event-Id
            eventType:
              path: type
            key: { path: data.orderId }
            entity: Order
            time: { path: occurredAt }
            data: { path: data }
            maxBodySize: 1MB
            """));
    }

    [Fact]
    public void Create_AuthMissing_RequiresItExplicitly()
    {
        Assert.Equal(["isthmus.yaml:1:1: connection 'oa': 'auth' is required"], Errors("maxBodySize: 1MB"));
    }

    [Fact]
    public void Create_AuthTypeMissing_ReportsAtAuthSection()
    {
        Assert.Equal(["isthmus.yaml:2:3: connection 'oa': 'auth.type' is required"], Errors("""
            auth:
              secret: s3cret
            """));
    }

    [Fact]
    public void Create_AuthTypeUnknown_ListsChoicesAtValue()
    {
        Assert.Equal(["isthmus.yaml:1:15: connection 'oa': auth.type 'basic' is not one of: hmac-sha256, token, none"],
            Errors("auth: { type: basic }"));
    }

    [Fact]
    public void Create_HmacWithoutSecret_RequiresSecret()
    {
        Assert.Equal(["isthmus.yaml:1:7: connection 'oa': 'auth.secret' is required"], Errors("auth: { type: hmac-sha256 }"));
    }

    [Fact]
    public void Create_HmacWithEmptySecret_ReportsEmptyValue()
    {
        Assert.Equal(["isthmus.yaml:3:11: connection 'oa': auth.secret must not be empty"], Errors("""
            auth:
              type: hmac-sha256
              secret: ""
            """));
    }

    [Fact]
    public void Create_TokenWithoutToken_RequiresToken()
    {
        Assert.Equal(["isthmus.yaml:1:7: connection 'oa': 'auth.token' is required"], Errors("auth: { type: token }"));
    }

    [Fact]
    public void Create_SettingOfAnotherAuthType_IsNamed()
    {
        Assert.Equal(["isthmus.yaml:4:10: connection 'oa': auth.token does not apply to auth type 'hmac-sha256'"], Errors("""
            auth:
              type: hmac-sha256
              secret: s3cret
              token: t0ken
            """));
    }

    [Fact]
    public void Create_NoneWithSecret_IsNamed()
    {
        Assert.Equal(["isthmus.yaml:1:29: connection 'oa': auth.secret does not apply to auth type 'none'"],
            Errors("auth: { type: none, secret: s }"));
    }

    [Fact]
    public void Create_BadEncodingToleranceAndUnknownAuthKey_ReportsEachAtItsLocation()
    {
        Assert.Equal(
        [
            "isthmus.yaml:4:13: connection 'oa': auth.encoding 'hexx' is not one of: hex, base64",
            "isthmus.yaml:5:14: connection 'oa': auth.tolerance 'soon' is not a duration; write e.g. 500ms, 10s, 5m or 1h",
            "isthmus.yaml:6:13: connection 'oa': unknown setting 'auth.algoritm'",
        ], Errors("""
            auth:
              type: hmac-sha256
              secret: s3cret
              encoding: hexx
              tolerance: soon
              algoritm: sha1
            """));
    }

    [Fact]
    public void Create_UnknownTopLevelKey_ReportsTypoWithLocation()
    {
        Assert.Equal(["isthmus.yaml:2:14: connection 'oa': unknown setting 'maxBodySise'"], Errors("""
            auth: { type: none }
            maxBodySise: 1MB
            """));
    }

    [Fact]
    public void Create_FieldWithTwoSources_AsksForExactlyOne()
    {
        Assert.Equal(["isthmus.yaml:2:10: connection 'oa': eventId: write exactly one of: header, path"], Errors("""
            auth: { type: none }
            eventId: { header: X-Event-Id, path: id }
            """));
    }

    [Fact]
    public void Create_FixedValueForEventId_IsUnknownSetting()
    {
        Assert.Contains("isthmus.yaml:2:19: connection 'oa': unknown setting 'eventId.value'", Errors("""
            auth: { type: none }
            eventId: { value: x }
            """));
    }

    [Fact]
    public void Create_MalformedPathAndScalarField_ReportEach()
    {
        Assert.Equal(
        [
            "isthmus.yaml:2:14: connection 'oa': key.path 'data..id' is not a dotted JSON path; write e.g. id or data.orderId",
            "isthmus.yaml:3:7: connection 'oa': data must be a mapping (key: value lines)",
        ], Errors("""
            auth: { type: none }
            key: { path: data..id }
            data: payload
            """));
    }

    [Theory]
    [InlineData("maxBodySize: lots", "isthmus.yaml:2:14: connection 'oa': maxBodySize 'lots' is not a size; write e.g. 512KB or 1MB")]
    [InlineData("maxBodySize: 0", "isthmus.yaml:2:14: connection 'oa': maxBodySize must be more than 0 bytes")]
    [InlineData("entity: \"\"", "isthmus.yaml:2:9: connection 'oa': entity must not be empty")]
    public void Create_InvalidTopLevelValue_ReportsAtValue(string line, string error)
    {
        Assert.Equal([error], Errors("auth: { type: none }\n" + line));
    }
}
