//! Data-driven trap tests: every directory under `tests/fixtures/` and every
//! `crates/sources/fixtures/<source>/<case>/` holds a fake `home/` and an `expected.json` beside it
//! (per UTC day and source: token totals; per source: events stored and lines skipped). Each case
//! is checked three ways: one scan; a second scan that must change nothing; and the files fed in
//! pieces cut mid-line (a line cut, a JSON document cut) with a scan after each piece, which must
//! end at the same totals.
//!
//! An optional `"mtimes": {"<path below home>": "<RFC 3339>"}` in expected.json sets those files'
//! modification times (after the copy, and after each piece): a running total in a log with no
//! last-update time of its own (Droid) falls on its file's mtime.
//!
//! A file named `<name>.db.sql` in a home is a SQL script that becomes the SQLite database
//! `<name>` (another tool's database): in one scan it is written and closed (no `-wal`); fed in
//! pieces, its statements run a few at a time on a connection that stays open in WAL mode with
//! no checkpoint, so the scans read rows committed in the WAL only.

#[path = "support/fixtures.rs"]
mod support;

use serde_json::Value;
use support::*;
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

fn scan(store: &mut Store, env: &Env) {
    let report = ingest::scan(store, env, &source::all(), &ScanOptions::default()).unwrap();
    assert!(report.warnings.is_empty(), "warnings: {:?}", report.warnings);
}

/// A scan of files being written: a document cut mid-write waits (and says so), nothing else.
fn scan_mid_write(store: &mut Store, env: &Env) {
    let report = ingest::scan(store, env, &source::all(), &ScanOptions::default()).unwrap();
    let other: Vec<&String> = report.warnings.iter().filter(|w| !w.contains("not complete JSON")).collect();
    assert!(other.is_empty(), "warnings: {other:?}");
}

#[test]
fn every_fixture_once_and_rescanned() {
    let table = PriceTable::embedded();
    for case in cases() {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        copy_dir(&case.join("home"), &home);
        set_mtimes(&home, &expected);
        let env = env_for(&home, &expected);
        let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        scan(&mut store, &env);
        check(&case, &observed(&store, &table), &expected, "one scan");
        scan(&mut store, &env);
        check(&case, &observed(&store, &table), &expected, "second scan");
        // Reopening (a new process) changes nothing either.
        drop(store);
        let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        scan(&mut store, &env);
        check(&case, &observed(&store, &table), &expected, "after reopen");
    }
}

#[test]
fn every_fixture_fed_in_pieces_cut_mid_line() {
    let table = PriceTable::embedded();
    for case in cases() {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let src = case.join("home");
        let home = tmp.path().join("home");
        let env = env_for(&home, &expected);
        let mut pieces = Pieces::new(&src, &home);
        let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        // Seven pieces per file, at cut points that land inside lines.
        let n = 7;
        for step in 1..=n {
            pieces.write(step, n, None);
            set_mtimes(&home, &expected);
            scan_mid_write(&mut store, &env);
        }
        check(&case, &observed(&store, &table), &expected, "fed in pieces");
    }
}
