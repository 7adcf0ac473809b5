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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else if let Some(db) = database_of(&dst) {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.execute_batch(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// `x.db.sql` → `x.db`.
fn database_of(path: &Path) -> Option<PathBuf> {
    let s = path.to_str()?;
    s.strip_suffix(".sql").filter(|d| d.ends_with(".db") || d.ends_with(".sqlite")).map(PathBuf::from)
}

/// The statements of a SQL script, in order (split at `;` ending a line).
fn statements(sql: &str) -> Vec<String> {
    sql.split_inclusive(";\n").map(str::to_owned).filter(|s| !s.trim().is_empty()).collect()
}

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_below(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn set_mtimes(home: &Path, expected: &Value) {
    let Some(mtimes) = expected["mtimes"].as_object() else { return };
    for (rel, ts) in mtimes {
        let path = home.join(rel);
        if !path.exists() {
            continue;
        }
        let t = chrono::DateTime::parse_from_rfc3339(ts.as_str().unwrap()).unwrap();
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(t.timestamp_millis() as u64);
        std::fs::File::options().append(true).open(&path).unwrap().set_modified(t).unwrap();
    }
}

fn env_for(home: &Path, expected: &Value) -> Env {
    let mut env = Env::with_home(home);
    if let Some(vars) = expected["env"].as_object() {
        for (k, v) in vars {
            env = env.set(k, v.as_str().unwrap().replace("{home}", &home.to_string_lossy()));
        }
    }
    env
}

/// What the ledger says, in the shape of expected.json.
fn observed(store: &Store, table: &PriceTable) -> Value {
    let pricer = Pricer::new(table);
    let rep = report::periods(store, &pricer, &Filter::new(chrono_tz::UTC), Period::Day).unwrap();
    let mut days = serde_json::Map::new();
    for row in &rep.rows {
        let mut sources = serde_json::Map::new();
        for (s, t) in &row.sources {
            sources.insert(
                s.clone(),
                serde_json::json!({
                    "input": t.input_tokens, "cache_creation": t.cache_creation_tokens,
                    "cache_read": t.cache_read_tokens, "output": t.output_tokens,
                    "reasoning": t.reasoning_tokens,
                }),
            );
            assert_eq!(
                t.total_tokens,
                t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens + t.output_tokens
            );
        }
        days.insert(row.key.clone(), Value::Object(sources));
    }
    let stats = ingest::stored_source_stats(store).unwrap();
    let mut events = BTreeMap::new();
    let mut skipped = BTreeMap::new();
    for (s, (_, e, sk)) in stats {
        if e > 0 {
            events.insert(s.clone(), e);
        }
        skipped.insert(s, sk);
    }
    serde_json::json!({ "days": days, "events": events, "skipped": skipped })
}

fn expected_view(expected: &Value) -> Value {
    serde_json::json!({ "days": expected["days"], "events": expected["events"], "skipped": expected["skipped"] })
}

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

fn dirs_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    out.sort();
    out
}

fn cases() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases = dirs_in(&manifest.join("tests/fixtures"));
    for source in dirs_in(&manifest.join("../sources/fixtures")) {
        cases.extend(dirs_in(&source));
    }
    assert!(cases.len() >= 15, "fixture cases missing");
    cases
}

fn check(case: &Path, got: &Value, expected: &Value, how: &str) {
    let mut want = expected_view(expected);
    // Skipped counts are per source that has files; compare only those present in expected.
    let got_skipped = got["skipped"].clone();
    for (s, n) in want["skipped"].as_object().unwrap().clone() {
        assert_eq!(got_skipped[&s], n, "{}: {how}: skipped lines of {s}", case.display());
    }
    want["skipped"] = Value::Null;
    let mut got = got.clone();
    got["skipped"] = Value::Null;
    assert_eq!(
        got,
        want,
        "{}: {how}\n got: {}\nwant: {}",
        case.display(),
        serde_json::to_string_pretty(&got).unwrap(),
        serde_json::to_string_pretty(&want).unwrap()
    );
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
        let mut files = Vec::new();
        files_below(&src, &mut files);
        let (sql, files): (Vec<PathBuf>, Vec<PathBuf>) =
            files.into_iter().partition(|f| database_of(f).is_some());
        let contents: Vec<(PathBuf, Vec<u8>)> = files
            .iter()
            .map(|f| (home.join(f.strip_prefix(&src).unwrap()), std::fs::read(f).unwrap()))
            .collect();
        // Databases: a writer that stays open, in WAL mode, never checkpointing.
        let databases: Vec<(rusqlite::Connection, Vec<String>)> = sql
            .iter()
            .map(|f| {
                let db = database_of(&home.join(f.strip_prefix(&src).unwrap())).unwrap();
                std::fs::create_dir_all(db.parent().unwrap()).unwrap();
                let conn = rusqlite::Connection::open(&db).unwrap();
                conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;").unwrap();
                (conn, statements(&std::fs::read_to_string(f).unwrap()))
            })
            .collect();
        let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        // Seven pieces per file, at cut points that land inside lines.
        let pieces = 7;
        for step in 1..=pieces {
            for (conn, stmts) in &databases {
                let (from, to) = (stmts.len() * (step - 1) / pieces, stmts.len() * step / pieces);
                for st in &stmts[from..to] {
                    conn.execute_batch(st).unwrap();
                }
            }
            for (i, (path, bytes)) in contents.iter().enumerate() {
                let cut = if step == pieces {
                    bytes.len()
                } else {
                    (bytes.len() * step / pieces + i * 13 + step * 7).min(bytes.len())
                };
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let have = std::fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0);
                if cut > have {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
                    f.write_all(&bytes[have..cut]).unwrap();
                }
            }
            set_mtimes(&home, &expected);
            scan_mid_write(&mut store, &env);
        }
        check(&case, &observed(&store, &table), &expected, "fed in pieces");
    }
}
