using Microsoft.Data.Sqlite;

namespace Isthmus.Storage.Sqlite;

/// <summary>Versioned schema migrations. Append new steps; never edit a shipped one.</summary>
internal static class Migrations
{
    private static readonly string[] Steps =
    [
        // 1: the event log, runs, outbox, attempts, change state, overrides, API keys, audit log.
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            connection TEXT NOT NULL,
            type TEXT NOT NULL,
            entity TEXT,
            key TEXT,
            subject TEXT,
            time INTEGER,
            received_at INTEGER NOT NULL,
            data BLOB NOT NULL,
            trace_parent TEXT,
            dedup_key TEXT NOT NULL,
            status INTEGER NOT NULL DEFAULT 0,
            processed_at INTEGER,
            outcome TEXT,
            replays INTEGER NOT NULL DEFAULT 0,
            only_flow TEXT,
            UNIQUE (connection, dedup_key)
        );
        CREATE INDEX events_pending ON events (seq) WHERE status = 0;
        CREATE INDEX events_key ON events (key, seq);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            event_seq INTEGER NOT NULL,
            flow TEXT NOT NULL,
            key TEXT,
            status INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER,
            steps TEXT NOT NULL,
            error TEXT,
            pending_deliveries INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX runs_event ON runs (event_seq);
        CREATE INDEX runs_flow ON runs (flow, id);
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            event_seq INTEGER NOT NULL,
            connection TEXT NOT NULL,
            action TEXT NOT NULL,
            payload BLOB NOT NULL,
            idempotency_key TEXT NOT NULL,
            order_key TEXT,
            trace_parent TEXT,
            status INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            attempt_base INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            event_received_at INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            delivered_at INTEGER,
            last_status INTEGER,
            last_error TEXT
        );
        CREATE INDEX deliveries_pending ON deliveries (id) WHERE status = 0;
        CREATE INDEX deliveries_dead ON deliveries (id) WHERE status = 2;
        CREATE INDEX deliveries_run ON deliveries (run_id);
        CREATE TABLE delivery_attempts (
            delivery_id INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            status_code INTEGER,
            outcome INTEGER NOT NULL,
            error TEXT,
            next_attempt_at INTEGER,
            PRIMARY KEY (delivery_id, attempt)
        ) WITHOUT ROWID;
        CREATE TABLE change_state (
            flow TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT,
            PRIMARY KEY (flow, key)
        ) WITHOUT ROWID;
        CREATE TABLE flow_overrides (flow TEXT PRIMARY KEY, enabled INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
        CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT);
        """,
        // 2: chat user ids found for an email, mobile, employee id or another system's id, per connection.
        """
        CREATE TABLE identities (
            connection TEXT NOT NULL,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            user_id TEXT NOT NULL,
            source TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (connection, kind, value)
        ) WITHOUT ROWID;
        """,

        // 3: two-way sync: the unified model's entities, their links to records, the write outbox, conflicts, errors, cursors.
        """
        CREATE TABLE sync_entities (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            fields TEXT NOT NULL,
            origins TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (entity, id)
        ) WITHOUT ROWID;
        CREATE TABLE sync_match (
            entity TEXT NOT NULL,
            key TEXT NOT NULL,
            id TEXT NOT NULL,
            PRIMARY KEY (entity, key)
        ) WITHOUT ROWID;
        CREATE INDEX sync_match_id ON sync_match (entity, id);
        CREATE TABLE sync_links (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            connection TEXT NOT NULL,
            record_type TEXT NOT NULL,
            record_id TEXT,
            record_version TEXT,
            record_updated_at INTEGER,
            base TEXT NOT NULL,
            pending TEXT NOT NULL,
            outstanding INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL,
            linked_at INTEGER NOT NULL,
            synced_at INTEGER NOT NULL,
            PRIMARY KEY (entity, id, connection, record_type)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX sync_links_record ON sync_links (entity, connection, record_type, record_id) WHERE record_id IS NOT NULL;
        CREATE INDEX sync_links_creating ON sync_links (entity, connection, record_type) WHERE record_id IS NULL;
        CREATE TABLE sync_writes (
            id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            connection TEXT NOT NULL,
            record_type TEXT NOT NULL,
            op INTEGER NOT NULL,
            record_id TEXT,
            vals TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER NOT NULL,
            last_error TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX sync_writes_due ON sync_writes (connection, next_at, id);
        CREATE INDEX sync_writes_link ON sync_writes (entity, entity_id, connection, record_type, id);
        CREATE TABLE sync_conflicts (
            id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            field TEXT NOT NULL,
            candidates TEXT NOT NULL,
            open INTEGER NOT NULL DEFAULT 1,
            resolution TEXT,
            resolved_by TEXT,
            created_at INTEGER NOT NULL,
            resolved_at INTEGER
        );
        CREATE INDEX sync_conflicts_open ON sync_conflicts (entity, entity_id) WHERE open = 1;
        CREATE TABLE sync_errors (
            id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL,
            connection TEXT NOT NULL,
            record_type TEXT NOT NULL,
            record_id TEXT,
            entity_id TEXT,
            kind TEXT NOT NULL,
            problems TEXT NOT NULL,
            record TEXT,
            open INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE sync_cursors (
            entity TEXT NOT NULL,
            connection TEXT NOT NULL,
            record_type TEXT NOT NULL,
            cursor TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (entity, connection, record_type)
        ) WITHOUT ROWID;
        CREATE TABLE reconciliations (
            id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER NOT NULL,
            report TEXT NOT NULL
        );
        """,

        // 4: sync write ids are never reused. Each write's idempotency key is built from its id, and a record system remembers
        // keys (the sql connector for 30 days): with a plain rowid, the first write after the outbox emptied got id 1 again,
        // and the system answered it as the repeat of an old write without applying it. The sequence starts above any id a
        // store could have handed out before this step, so keys issued before the upgrade do not come back either.
        """
        CREATE TABLE sync_writes_next (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            connection TEXT NOT NULL,
            record_type TEXT NOT NULL,
            op INTEGER NOT NULL,
            record_id TEXT,
            vals TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER NOT NULL,
            last_error TEXT,
            created_at INTEGER NOT NULL
        );
        INSERT INTO sync_writes_next (id, entity, entity_id, connection, record_type, op, record_id, vals, payload, attempts, next_at, last_error, created_at)
            SELECT id, entity, entity_id, connection, record_type, op, record_id, vals, payload, attempts, next_at, last_error, created_at FROM sync_writes;
        DROP TABLE sync_writes;
        ALTER TABLE sync_writes_next RENAME TO sync_writes;
        CREATE INDEX sync_writes_due ON sync_writes (connection, next_at, id);
        CREATE INDEX sync_writes_link ON sync_writes (entity, entity_id, connection, record_type, id);
        DELETE FROM sqlite_sequence WHERE name = 'sync_writes';
        INSERT INTO sqlite_sequence (name, seq)
            SELECT 'sync_writes', MAX(COALESCE((SELECT MAX(id) FROM sync_writes), 0), CAST(strftime('%s', 'now') AS INTEGER) * 1000);
        """,

        // 5: due writes are found in queue order per connection, so finding the next batch reads about that many rows
        // however long the queue is (the (connection, next_at) index made every batch scan and sort the whole queue).
        """
        CREATE INDEX sync_writes_queue ON sync_writes (connection, id);
        DROP INDEX sync_writes_due;
        """,

        // 6: last writer wins ranks a change above the value it was made on top of, so a link keeps the rank of each value its
        // record is known to hold (and of each value written to it), and a queued write the rank of each value it carries.
        """
        ALTER TABLE sync_links ADD COLUMN origins TEXT;
        ALTER TABLE sync_writes ADD COLUMN origins TEXT;
        """,

        // 7: a record accepted after it was refused closes its open errors, by one probe of this index per record; the version
        // it was refused at keeps a late notification of an older version from closing them.
        """
        ALTER TABLE sync_errors ADD COLUMN record_version INTEGER;
        ALTER TABLE sync_errors ADD COLUMN record_updated_at INTEGER;
        CREATE INDEX sync_errors_open_record ON sync_errors (entity, connection, record_type, record_id, kind) WHERE open = 1;
        """,

        // 8: a record deleted in its system is remembered with what it last held (its link, kept apart so that no read of links
        // sees it), so that the record coming back revives its entity instead of becoming a new one, a duplicate in every other
        // system. Deleted entities keep their identity-match keys for the same reason. Deletes recorded before this step kept
        // neither; such an entity is revived by hand.
        """
        CREATE TABLE sync_deleted_links (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            connection TEXT NOT NULL,
            record_type TEXT NOT NULL,
            record_id TEXT NOT NULL,
            record_version TEXT,
            record_updated_at INTEGER,
            base TEXT NOT NULL,
            source TEXT NOT NULL,
            linked_at INTEGER NOT NULL,
            deleted_at INTEGER NOT NULL,
            origins TEXT,
            PRIMARY KEY (entity, connection, record_type, record_id)
        ) WITHOUT ROWID;
        """,

        // 9: no index of events by key. Keys arrive in no order, so every append wrote one more page of it to the log at its
        // commit; without it the single writer carries 10-25% more events per second (docs/benchmarks.md). Listing the
        // events of one key now reads the log from the newest event back until the page is full.
        "DROP INDEX IF EXISTS events_key;",
    ];

    /// <summary>The schema version this build writes.</summary>
    public static int Latest => Steps.Length;

    public static void Apply(SqliteConnection connection)
    {
        Exec(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        var current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Latest)
        {
            throw new InvalidOperationException(
                $"The database schema is version {current}, newer than this Isthmus build understands ({Latest}). Upgrade Isthmus or point store.path at another file.");
        }

        for (var version = current + 1; version <= Latest; version++)
        {
            using var tx = connection.BeginTransaction();
            Exec(connection, Steps[version - 1], tx);
            Exec(connection, $"INSERT INTO schema_version (version) VALUES ({version})", tx);
            tx.Commit();
        }
    }

    private static void Exec(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
