//! Migration 7 (issue 12) on a ledger of schema 6: every session is listed in `link_due` at first,
//! and the first linking run forgets the ones whose check was final without running git for
//! them; `files_skipped` serves the tray's drift query; the doctor finds the ledger sound.

#[path = "support/ledger.rs"]
mod ledger;

use ledger::{ledger_with, request};
use tokenworth_core::store::{Store, SCHEMA_VERSION};
use tokenworth_core::{doctor, ingest, outcomes, source, Env};

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;
const HOUR: i64 = 3_600_000;

fn strings(store: &Store, sql: &str) -> Vec<String> {
    store.conn().prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn migration_7_lists_every_session_once_and_the_first_run_forgets_the_final_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ledger.db");
    {
        // Projects that are no directory: the linker checks them without git.
        let at = |key, session, ts| request(key, session, "/nowhere/at/all", ts, 10);
        let store = ledger_with(&db, &[at("k1", "final", T), at("k2", "open", T + HOUR), at("k3", "new", T)]);
        let c = store.conn();
        // What a schema-6 build left: checks for two sessions (one after its window, one while it
        // was open), none for the third, a file with unreadable records; no link_due.
        c.execute_batch(&format!(
            "DROP TRIGGER sessions_link_due_new; DROP TRIGGER sessions_link_due_moved; DROP TABLE link_due;
             DROP INDEX files_skipped;
             INSERT INTO commit_checks VALUES ('claude-code', 'final', {T}, {final_at}, NULL, 'no_repo');
             INSERT INTO commit_checks VALUES ('claude-code', 'open', {open_end}, {open_at}, NULL, 'no_repo');
             INSERT INTO files(source, path, identity, size, mtime_ns, offset, head_hash, tail_hash, skipped, skipped_since)
               VALUES ('codex', '/x.jsonl', 'i', 10, 0, 10, 0, 0, 3, 5);
             PRAGMA user_version = 6;",
            final_at = T + HOUR,
            open_end = T + HOUR,
            open_at = T + HOUR + 60_000,
        ))
        .unwrap();
    }
    let store = Store::open(&db).unwrap();
    let v: i64 = store.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    assert_eq!(strings(&store, "SELECT session_id FROM link_due ORDER BY 1"), ["final", "new", "open"]);

    // Three hours later: "new" has no check and "open" was checked inside its window, so both
    // are checked; "final" is forgotten without a check.
    let env = Env::with_home(tmp.path());
    let r = outcomes::link_commits(&store, &env, T + 3 * HOUR).unwrap();
    assert_eq!(r.sessions_checked, 2);
    assert!(strings(&store, "SELECT session_id FROM link_due").is_empty());

    // The drift the tray reads after every change comes from the partial index.
    let mut stmt = store
        .conn()
        .prepare(
            "EXPLAIN QUERY PLAN SELECT source, sum(skipped), min(skipped_since) FROM files WHERE skipped > 0 GROUP BY source",
        )
        .unwrap();
    let plan: Vec<String> = stmt.query_map([], |r| r.get(3)).unwrap().map(Result::unwrap).collect();
    drop(stmt);
    assert!(plan.iter().any(|p| p.contains("files_skipped")), "{plan:?}");
    let drift = ingest::stored_drift(&store).unwrap();
    assert_eq!(drift["codex"].unreadable_records, 3);
    drop(store);
    let d = doctor::diagnose(&db, &source::all());
    assert!(d.sound, "{:?}", d.findings);
}
