//! The request time index `events_ts` around a bulk load (a first scan of much history stores
//! its events unindexed and builds the index once at its end): after any scan that stores
//! something the index exists and holds every event, and a ledger a stopped bulk load left
//! without it gets it back from the next scan.

use std::path::Path;

use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn append(home: &Path, session: &str, from: usize, n: usize) {
    use std::io::Write;
    let dir = home.join(".claude/projects/-work");
    std::fs::create_dir_all(&dir).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{session}.jsonl")))
        .unwrap();
    for i in from..from + n {
        // Out of time order across files and within them: the index must not rely on file order.
        let ts = T + ((i * 7_919) % 500) as i64 * 60_000;
        writeln!(
            f,
            r#"{{"type":"assistant","sessionId":"{session}","cwd":"/work","uuid":"u-{session}-{i}","requestId":"r-{session}-{i}","timestamp":"{}","message":{{"id":"m-{session}-{i}","model":"claude-sonnet-4-5","usage":{{"input_tokens":10,"output_tokens":{i},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
            iso(ts)
        )
        .unwrap();
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn indexed(store: &Store) -> bool {
    count(store, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_ts'") == 1
}

fn scan(store: &mut Store, env: &Env, bulk_bytes: Option<u64>) -> u64 {
    let opts = ScanOptions { bulk_bytes, ..ScanOptions::default() };
    ingest::scan(store, env, &source::all(), &opts).unwrap().events() as u64
}

#[test]
fn a_bulk_load_ends_indexed_and_a_missing_index_comes_back() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    for s in ["s1", "s2", "s3"] {
        append(&home, s, 0, 300);
    }
    let env = Env::with_home(&home);
    let mut store = Store::open(&tmp.path().join("ledger.db")).unwrap();
    // Every byte counts as much history: the first scan is a bulk load.
    assert_eq!(scan(&mut store, &env, Some(1)), 900);
    assert!(indexed(&store));
    assert_eq!(count(&store, "SELECT count(*) FROM events INDEXED BY events_ts WHERE ts >= 0"), 900);
    let range = format!(
        "SELECT count(*) FROM events INDEXED BY events_ts WHERE ts >= {T} AND ts < {}",
        T + 100 * 60_000
    );
    let direct =
        format!("SELECT count(*) FROM events NOT INDEXED WHERE ts >= {T} AND ts < {}", T + 100 * 60_000);
    assert_eq!(count(&store, &range), count(&store, &direct));

    // A later scan is no bulk load (events are stored): the index is kept up as rows come.
    append(&home, "s2", 300, 50);
    assert_eq!(scan(&mut store, &env, Some(1)), 50);
    assert!(indexed(&store));
    assert_eq!(count(&store, "SELECT count(*) FROM events INDEXED BY events_ts WHERE ts >= 0"), 950);

    // What a bulk load stopped half-way leaves: events, no index. The next scan that stores
    // something builds it.
    store.conn().execute_batch("DROP INDEX events_ts").unwrap();
    append(&home, "s4", 0, 5);
    assert_eq!(scan(&mut store, &env, None), 5);
    assert!(indexed(&store));
    assert_eq!(count(&store, "SELECT count(*) FROM events INDEXED BY events_ts WHERE ts >= 0"), 955);
}
