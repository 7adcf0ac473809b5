//! Migration 5 mends what earlier builds stored from hostile records (issue 14): a token count
//! stored as -1 (1e30 or 2^64-1 in a log), two i64::MAX counts that wrapped the rollup, a year
//! 0000 timestamp. After it the rows are gone, the rollup equals the sums over the events that
//! remain, the sessions' spans are theirs, and the doctor finds the ledger sound.

#[path = "support/ledger.rs"]
mod ledger;

use ledger::{ledger_with, request};
use tokenworth_core::store::{Store, SCHEMA_VERSION};
use tokenworth_core::{doctor, source};

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;

#[test]
fn migration_5_removes_implausible_rows_and_mends_the_rollup_and_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ledger.db");
    {
        let event = |key, ts, input| request(key, "s-1", "/p", ts, input);
        let store = ledger_with(&db, &[event("good", T, 1000), event("later", T + 60_000, 5)]);
        // What a schema-4 build stored for hostile lines: -1 for 2^64-1, i64::MAX twice (the
        // rollup wrapped), and a year 0000 request (its own session span and rollup bucket).
        let c = store.conn();
        c.execute_batch(&format!(
            "INSERT INTO events(dedupe_key, source, session_id, project, model, ts, input, cw5m, cw1h, cache_read, output, reasoning)
             VALUES ('neg', 'claude-code', 's-1', '/p', 'claude-sonnet-4-5', {T}, -1, 0, 0, 0, 1, 0),
                    ('max1', 'claude-code', 's-1', '/p', 'claude-sonnet-4-5', {T}, {m}, 0, 0, 0, 1, 0),
                    ('max2', 'claude-code', 's-1', '/p', 'claude-sonnet-4-5', {T}, {m}, 0, 0, 0, 1, 0),
                    ('y0', 'claude-code', 's-0', '/p', 'claude-sonnet-4-5', -62167219200000, 7, 0, 0, 0, 1, 0);
             UPDATE rollup SET requests = requests + 3, input = input - 1 + {m} + {m} + 1, output = output + 3;
             INSERT INTO rollup VALUES (-62167219200000 / 900000, 'claude-code', '/p', 'claude-sonnet-4-5', 0, 0, 1, 7, 0, 0, 0, 1, 0, 0.0);
             INSERT INTO sessions(source, session_id, project, start_ts, end_ts) VALUES ('claude-code', 's-0', '/p', -62167219200000, -62167219200000);
             PRAGMA user_version = 4;",
            m = i64::MAX
        ))
        .unwrap();
    }
    let sources = source::all();
    let before = doctor::diagnose(&db, &sources);
    assert!(!before.sound);
    assert!(before.findings.iter().any(|f| f.check == "events"), "{:?}", before.findings);

    let store = Store::open(&db).unwrap();
    let c = store.conn();
    let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let keys: Vec<String> = c
        .prepare("SELECT dedupe_key FROM events ORDER BY dedupe_key")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, ["good", "later"]);
    let (requests, input): (i64, i64) = c
        .query_row("SELECT sum(requests), sum(input) FROM rollup", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((requests, input), (2, 1005));
    let sessions: i64 = c.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)).unwrap();
    assert_eq!(sessions, 1, "the year-0000 session had no other request");
    drop(store);
    let after = doctor::diagnose(&db, &sources);
    assert!(after.sound, "{:?}", after.findings);
}
