//! Migration 8 (issue 12) on a ledger of schema 7: `day_rollup` starts empty and unused (no
//! zone), reports are what they were, the first scan that names the writer's zone builds the
//! per-day sums from the rollup even when it finds nothing new, and `files_present` serves the
//! scan's cursors; the doctor finds the ledger sound.

#[path = "support/ledger.rs"]
mod ledger;

use ledger::{ledger_with, request};
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::{Store, SCHEMA_VERSION};
use tokenworth_core::{doctor, source, Env};
use tokenworth_pricing::PriceTable;

/// 2026-03-28T20:00:00Z, the evening before Berlin's clocks go forward.
const T: i64 = 1_774_728_000_000;
const HOUR: i64 = 3_600_000;

fn daily(store: &Store, tz: chrono_tz::Tz) -> String {
    let table = PriceTable::embedded();
    let rep = report::periods(store, &Pricer::new(&table), &Filter::new(tz), Period::Day).unwrap();
    serde_json::to_string(&report::period_json(&rep, Period::Day, true)).unwrap()
}

#[test]
fn migration_8_starts_unkept_and_the_first_scan_in_a_zone_keeps_the_days() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ledger.db");
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let before = {
        let events: Vec<_> =
            (0..12).map(|i| request(&format!("k{i}"), "s", "/p", T + i * HOUR, 100 + i as u64)).collect();
        let store = ledger_with(&db, &events);
        let before = daily(&store, berlin);
        // What a schema-7 build left: no day_rollup, no files_present; a file present and one
        // the tool deleted.
        store
            .conn()
            .execute_batch(
                "DROP TABLE day_rollup; DROP INDEX files_present;
                 INSERT INTO files(source, path, identity, size, mtime_ns, offset, head_hash, tail_hash)
                   VALUES ('codex', '/here.jsonl', 'i', 10, 0, 10, 0, 0);
                 INSERT INTO files(source, path, identity, size, mtime_ns, offset, head_hash, tail_hash, missing)
                   VALUES ('codex', '/gone.jsonl', 'j', 10, 0, 10, 0, 0, 1);
                 PRAGMA user_version = 7;",
            )
            .unwrap();
        before
    };
    let mut store = Store::open(&db).unwrap();
    let v: i64 = store.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    assert_eq!(store.day_zone().unwrap(), None);
    let kept: i64 = store.conn().query_row("SELECT count(*) FROM day_rollup", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 0);
    assert_eq!(daily(&store, berlin), before, "the report sums the rollup as before");
    let present = store.present_cursors().unwrap();
    assert_eq!(present.keys().collect::<Vec<_>>(), ["/here.jsonl"]);

    // A scan that finds nothing new still builds the days in the zone it names.
    let env = Env::with_home(tmp.path().join("empty-home"));
    let opts = ScanOptions { day_zone: Some(berlin), ..ScanOptions::default() };
    ingest::scan(&mut store, &env, &source::all(), &opts).unwrap();
    assert_eq!(store.day_zone().unwrap().as_deref(), Some("Europe/Berlin"));
    // Twelve hours from 20:00 UTC on the 28th: the 28th and the 29th in Berlin, one model.
    let days: Vec<i64> = store
        .conn()
        .prepare("SELECT day FROM day_rollup")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(days, [20_540, 20_541]);
    assert_eq!(daily(&store, berlin), before, "the kept days say what the rollup says");
    drop(store);
    let d = doctor::diagnose(&db, &source::all());
    assert!(d.sound, "{:?}", d.findings);
}
