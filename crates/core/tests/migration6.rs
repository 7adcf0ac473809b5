//! Migration 6 (issue 12) adds `events_ts`, an index on the request time, to a ledger of schema
//! 5 with events in it: the index is there afterwards, holds every event, the events and the
//! rollup are untouched, and the doctor finds the ledger sound.

#[path = "support/ledger.rs"]
mod ledger;

use ledger::{ledger_with, request};
use tokenworth_core::store::{Store, SCHEMA_VERSION};
use tokenworth_core::{doctor, source, UsageEvent};

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn migration_6_indexes_the_events_of_a_schema_5_ledger_by_time() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ledger.db");
    let events: Vec<UsageEvent> = (0..500)
        .map(|i| request(&format!("k{i}"), &format!("s{}", i % 7), "/p", T + i * 97_000, 10 + i as u64))
        .collect();
    {
        let store = ledger_with(&db, &events);
        // What a schema-5 build left: the same tables, no time index (nor what migration 7 adds).
        store
            .conn()
            .execute_batch(
                "DROP INDEX events_ts; DROP TRIGGER sessions_link_due_new; DROP TRIGGER sessions_link_due_moved;
                 DROP TABLE link_due; DROP INDEX files_skipped; PRAGMA user_version = 5;",
            )
            .unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM sqlite_master WHERE name = 'events_ts'"), 0);
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(count(&store, "PRAGMA user_version"), SCHEMA_VERSION);
    assert_eq!(
        count(&store, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_ts' AND tbl_name = 'events'"),
        1
    );
    // Every event is in the index, and a range read through it finds the range's events.
    assert_eq!(count(&store, "SELECT count(*) FROM events INDEXED BY events_ts WHERE ts >= 0"), 500);
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT count(*) FROM events INDEXED BY events_ts WHERE ts >= {} AND ts < {}",
                T + 97_000 * 100,
                T + 97_000 * 200
            )
        ),
        100
    );
    assert_eq!(count(&store, "SELECT sum(input) FROM events"), (0..500).map(|i| 10 + i).sum::<i64>());
    assert_eq!(count(&store, "SELECT sum(input) FROM rollup"), (0..500).map(|i| 10 + i).sum::<i64>());
    drop(store);
    let d = doctor::diagnose(&db, &source::all());
    assert!(d.sound, "{:?}", d.findings);
}
