using System.Data.Common;
using System.Text.Json.Nodes;
using Isthmus.Records;

namespace Isthmus.Connectors.Sql;

/// <summary>
/// Idempotent writes: each write's key is logged in <c>isthmus_idempotency</c> (configurable) in the same transaction as
/// the write, with the id of the record it wrote. A write whose key is already logged is not applied again; it answers
/// with that record as it is now. So a create retried after a lost answer finds the row it made instead of making a
/// second one, and a retried update cannot undo a change someone made in between. Keys are kept 30 days.
/// </summary>
internal sealed partial class SqlConnector
{
    private string? IdempotencyTable => _options.IdempotencyTable is { } name
        ? SqlNames.Split(name) is var (schema, table) && schema is not null ? SqlNames.Quote(schema) + "." + SqlNames.Quote(table) : SqlNames.Quote(table)
        : null;

    private async Task EnsureIdempotencyTableAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (_idempotencyReady || IdempotencyTable is not { } log)
        {
            return;
        }

        // One creator per connector; other nodes may still race us, which the catch below absorbs.
        await _idempotencyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_idempotencyReady)
            {
                return;
            }

            await ExecuteAsync(_dialect.CreateIdempotencyTable(log), tolerateConcurrentCreate: true).ConfigureAwait(false);
            await ExecuteAsync(_dialect.PruneIdempotencyTable(log), tolerateConcurrentCreate: false).ConfigureAwait(false);
            _idempotencyReady = true;
        }
        finally
        {
            _idempotencyGate.Release();
        }

        async Task ExecuteAsync(string sql, bool tolerateConcurrentCreate)
        {
            try
            {
                await using var command = Command(connection, null, sql);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (tolerateConcurrentCreate && _dialect.IsConcurrentCreate(e))
            {
                // PostgreSQL's CREATE TABLE IF NOT EXISTS is not atomic: another node created the table a moment before us.
            }
            catch (Exception e) when (e is not OperationCanceledException
                && _dialect.Classify(e, $"{Connection}: cannot create or prune the idempotency table {_options.IdempotencyTable} (grant it, or set idempotencyTable: none)") is { } failure)
            {
                throw failure;
            }
        }
    }

    /// <summary>The record a write with this key already wrote, as it is now; <c>null</c> when the key is new.</summary>
    private async Task<SourceRecord?> LoggedRecordAsync(DbConnection connection, DbTransaction transaction, TableSchema table, string key,
        CancellationToken cancellationToken)
    {
        if (IdempotencyTable is not { } log)
        {
            return null;
        }

        await using var find = Command(connection, transaction,
            $"SELECT record_id FROM {log} WHERE record_type = @type AND idempotency_key = @key");
        Add(find, "type", table.RecordType);
        Add(find, "key", key);
        if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string id)
        {
            return null;
        }

        return await GetAsync(connection, transaction, table, id, cancellationToken).ConfigureAwait(false)
            ?? new SourceRecord(id, new JsonObject { [table.Id.Name] = id }, Deleted: true); // written, then deleted since
    }

    private async Task LogWriteAsync(DbConnection connection, DbTransaction transaction, TableSchema table, string key, string id,
        CancellationToken cancellationToken)
    {
        if (IdempotencyTable is not { } log)
        {
            return;
        }

        await using var insert = Command(connection, transaction,
            $"INSERT INTO {log} (record_type, idempotency_key, record_id) VALUES (@type, @key, @id)");
        Add(insert, "type", table.RecordType);
        Add(insert, "key", key);
        Add(insert, "id", id);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
