using Isthmus.Configuration;
using Isthmus.Connectors;
using Isthmus.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.IntegrationTests.Configuration;

/// <summary>A mapping its connections cannot serve is a configuration error with its location, not a failure at the first sync.</summary>
public sealed class MappingCheckTests
{
    [Fact]
    public void Mappings_to_a_connection_without_records_to_an_unknown_record_type_and_changes_from_a_non_receiver_are_refused()
    {
        var result = ConfigurationLoader.LoadText("""
            connections:
              hooks: { kind: webhook, auth: { type: none } }
              erp:
                kind: http
                baseUrl: http://127.0.0.1:9
                records: { customers: { path: /api/customers } }
            entities:
              Customer:
                fields: { name: string }
                mappings:
                  hooks: { records: customers, fields: { name: name } }
                  erp:
                    records: custmers
                    changes: { connection: erp }
                    fields: { name: name }
            """, "isthmus.yaml", Path.GetTempPath());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));

        var (connectors, errors) = IsthmusHost.BuildConnectors(result, new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance));

        Assert.Null(connectors);
        var messages = errors.Select(e => e.ToString()).ToList();
        Assert.Contains(messages, m => m.StartsWith("isthmus.yaml:11:", StringComparison.Ordinal) && m.Contains("connection 'hooks' holds no records", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("has no record type 'custmers'; did you mean 'customers'?", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("mappings.erp.changes: connection 'erp' receives no events", StringComparison.Ordinal));
    }

    [Fact]
    public void A_mapping_that_would_write_a_read_only_record_type_is_refused()
    {
        var result = ConfigurationLoader.LoadText("""
            connections:
              ding:
                kind: dingtalk
                appKey: dingemulatorappkey
                appSecret: emulator-app-secret-not-for-production
                token: emulator-callback-token
                aesKey: aXN0aG11cy1kaW5ndGFsay1lbXVsYXRvci1hZXNrZXk
                apiBaseUrl: http://127.0.0.1:9
                oapiBaseUrl: http://127.0.0.1:9
                attendance: { users: [staff002] }
            entities:
              Attendance:
                fields: { userId: string }
                mappings:
                  ding: { records: attendance, fields: { userId: userId } }
            """, "isthmus.yaml", Path.GetTempPath());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));

        var (connectors, errors) = IsthmusHost.BuildConnectors(result, new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance));

        Assert.Null(connectors);
        Assert.Contains(errors, e => e.ToString().Contains("record type 'attendance' of connection 'ding' can only be read; add direction: in", StringComparison.Ordinal));
    }
}
