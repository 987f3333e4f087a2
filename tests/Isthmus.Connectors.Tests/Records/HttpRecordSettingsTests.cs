using Isthmus.Records;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>The <c>records:</c> section of an <c>http</c> connection: every key, and precise errors.</summary>
public sealed class HttpRecordSettingsTests
{
    private static List<string> Errors(string records) =>
        [.. RecordSystem.TryConnect($"baseUrl: http://127.0.0.1:9300\nrecords:\n{records}").Errors.Select(e => e.ToString())];

    [Fact]
    public async Task Create_FullExampleFromDocs_IsARecordConnectorThatStillDelivers()
    {
        var (connector, errors) = RecordSystem.TryConnect("""
            kind: http
            baseUrl: http://127.0.0.1:9300
            auth: { bearer: crm-key }
            records:
              customers:
                path: /api/customers
                items: items
                id: id
                version: version
                updatedAt: updatedAt
                deleted: deleted
                paging: cursor
                cursorParam: cursor
                nextCursor: nextCursor
                limitParam: limit
                pageSize: 200
                since: updatedSince
                query: { includeDeleted: "true" }
                update: patch
                batch: _batch
                batchSize: 500
              projects:
                path: /api/projects
                paging: page
                pageParam: page
                pageSizeParam: pageSize
                update: put
              orders: { path: /api/orders, paging: offset, offsetParam: offset, limitParam: limit }
              tasks: { path: /api/tasks, paging: none, items: "" }
            """);

        Assert.Empty(errors);
        var records = Assert.IsAssignableFrom<IRecordConnector>(connector);
        Assert.Equal(["customers", "projects", "orders", "tasks"], records.RecordTypes);
        Assert.IsAssignableFrom<IOutboundConnector>(connector);
        await connector!.DisposeAsync();
    }

    [Fact]
    public async Task Create_WithoutRecords_IsNotARecordConnector()
    {
        var (connector, errors) = RecordSystem.TryConnect("baseUrl: http://127.0.0.1:9300");

        Assert.Empty(errors);
        Assert.False(connector is IRecordConnector);
        await connector!.DisposeAsync();
    }

    [Theory]
    [InlineData("  customers: { items: list }", "isthmus.yaml:3:14: connection 'oa': 'records.customers.path' is required")]
    [InlineData("  customers: { path: \"/api/customers?all=1\" }", "isthmus.yaml:3:22: connection 'oa': records.customers.path '/api/customers?all=1' must be a path under baseUrl, without a query (list parameters go in query)")]
    [InlineData("  customers: { path: /c, paging: scroll }", "isthmus.yaml:3:34: connection 'oa': records.customers.paging 'scroll' is not one of: cursor, page, offset, none")]
    [InlineData("  customers: { path: /c, pageParam: p }", "isthmus.yaml:3:37: connection 'oa': records.customers.pageParam does not apply to paging 'cursor'")]
    [InlineData("  customers: { path: /c, paging: none, pageSize: 10 }", "isthmus.yaml:3:50: connection 'oa': records.customers.pageSize does not apply to paging 'none'")]
    [InlineData("  customers: { path: /c, update: post }", "isthmus.yaml:3:34: connection 'oa': records.customers.update 'post' is not one of: patch, put")]
    [InlineData("  customers: { path: /c, batchSize: 10 }", "isthmus.yaml:3:37: connection 'oa': records.customers.batchSize applies only with batch: <endpoint under path>")]
    [InlineData("  customers: { path: /c, pageSize: 0 }", "isthmus.yaml:3:36: connection 'oa': records.customers.pageSize '0' must be a whole number from 1 to 10000")]
    [InlineData("  customers: { path: /c, id: \"\" }", "isthmus.yaml:3:30: connection 'oa': records.customers.id must not be empty")]
    [InlineData("  customers: { path: /c, updated: modifiedAt }", "isthmus.yaml:3:35: connection 'oa': unknown setting 'records.customers.updated'")]
    [InlineData("  customers: /api/customers", "isthmus.yaml:3:14: connection 'oa': records.customers must be a mapping (key: value lines)")]
    public void Create_InvalidRecordSetting_ReportsAtItsLocation(string records, string error)
    {
        Assert.Equal([error], Errors(records));
    }

    [Fact]
    public void Create_EmptyRecords_SaysWhatToWrite()
    {
        Assert.Equal(["isthmus.yaml:2:10: connection 'oa': records: must name at least one record type, e.g. customers: { path: /api/customers }"],
            [.. RecordSystem.TryConnect("baseUrl: http://127.0.0.1:9300\nrecords: {}").Errors.Select(e => e.ToString())]);
    }
}
