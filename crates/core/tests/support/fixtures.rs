//! The fixture cases of `crates/core/tests/fixtures/` and `crates/sources/fixtures/` and what is
//! needed to lay them out and compare a ledger with their `expected.json`: shared by core's
//! fixture tests (`ingest::scan` directly) and the live watcher's (`tokenworth-watch`), which
//! include this file with `#[path]`.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokenworth_core::ingest;
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::Store;
use tokenworth_core::Env;
use tokenworth_pricing::PriceTable;

pub fn copy_dir(from: &Path, to: &Path) {
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
pub fn database_of(path: &Path) -> Option<PathBuf> {
    let s = path.to_str()?;
    s.strip_suffix(".sql").filter(|d| d.ends_with(".db") || d.ends_with(".sqlite")).map(PathBuf::from)
}

/// The statements of a SQL script, in order (split at `;` ending a line).
pub fn statements(sql: &str) -> Vec<String> {
    sql.split_inclusive(";\n").map(str::to_owned).filter(|s| !s.trim().is_empty()).collect()
}

pub fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_below(&p, out);
        } else {
            out.push(p);
        }
    }
}

pub fn set_mtimes(home: &Path, expected: &Value) {
    let Some(mtimes) = expected["mtimes"].as_object() else { return };
    for (rel, ts) in mtimes {
        let path = home.join(rel);
        if !path.exists() {
            continue;
        }
        set_mtime(&path, ts.as_str().unwrap());
    }
}

/// Sets a file's modification time to an RFC 3339 time.
pub fn set_mtime(path: &Path, ts: &str) {
    let t = chrono::DateTime::parse_from_rfc3339(ts).unwrap();
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(t.timestamp_millis() as u64);
    std::fs::File::options().append(true).open(path).unwrap().set_modified(t).unwrap();
}

pub fn env_for(home: &Path, expected: &Value) -> Env {
    let mut env = Env::with_home(home);
    if let Some(vars) = expected["env"].as_object() {
        for (k, v) in vars {
            env = env.set(k, v.as_str().unwrap().replace("{home}", &home.to_string_lossy()));
        }
    }
    env
}

/// What the ledger says, in the shape of expected.json.
pub fn observed(store: &Store, table: &PriceTable) -> Value {
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

pub fn expected_view(expected: &Value) -> Value {
    serde_json::json!({ "days": expected["days"], "events": expected["events"], "skipped": expected["skipped"] })
}

pub fn dirs_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    out.sort();
    out
}

pub fn cases() -> Vec<PathBuf> {
    // From core's tests or another crate's beside it.
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cases = dirs_in(&crates.join("core/tests/fixtures"));
    for source in dirs_in(&crates.join("sources/fixtures")) {
        cases.extend(dirs_in(&source));
    }
    assert!(cases.len() >= 15, "fixture cases missing");
    cases
}

pub fn check(case: &Path, got: &Value, expected: &Value, how: &str) {
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

/// A case's home written in pieces: each file's bytes in `n` pieces cut inside lines, each
/// database's statements a few at a time on a connection that stays open in WAL mode and never
/// checkpoints (opened at the first piece), so readers see rows committed in the WAL only.
pub struct Pieces {
    home: PathBuf,
    contents: Vec<(PathBuf, Vec<u8>)>,
    scripts: Vec<(PathBuf, Vec<String>)>,
    databases: Vec<(rusqlite::Connection, Vec<String>)>,
}

impl Pieces {
    /// The files of `src` (a case's `home/`), to be written below `home`.
    pub fn new(src: &Path, home: &Path) -> Pieces {
        let mut files = Vec::new();
        files_below(src, &mut files);
        let (sql, files): (Vec<PathBuf>, Vec<PathBuf>) =
            files.into_iter().partition(|f| database_of(f).is_some());
        let contents = files
            .iter()
            .map(|f| (home.join(f.strip_prefix(src).unwrap()), std::fs::read(f).unwrap()))
            .collect();
        let scripts = sql
            .iter()
            .map(|f| {
                let db = database_of(&home.join(f.strip_prefix(src).unwrap())).unwrap();
                (db, statements(&std::fs::read_to_string(f).unwrap()))
            })
            .collect();
        Pieces { home: home.to_path_buf(), contents, scripts, databases: Vec::new() }
    }

    /// Writes piece `step` of `n` (1-based; piece `n` completes every file). With `mtimes`
    /// (expected.json's), a file listed there is written aside with its mtime and renamed into
    /// place, so no reader ever sees it with the time of the test's write.
    pub fn write(&mut self, step: usize, n: usize, mtimes: Option<&Value>) {
        if self.databases.is_empty() {
            for (db, stmts) in std::mem::take(&mut self.scripts) {
                std::fs::create_dir_all(db.parent().unwrap()).unwrap();
                let conn = rusqlite::Connection::open(&db).unwrap();
                conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;").unwrap();
                self.databases.push((conn, stmts));
            }
        }
        for (conn, stmts) in &self.databases {
            let (from, to) = (stmts.len() * (step - 1) / n, stmts.len() * step / n);
            for st in &stmts[from..to] {
                conn.execute_batch(st).unwrap();
            }
        }
        for (i, (path, bytes)) in self.contents.iter().enumerate() {
            let cut = if step == n {
                bytes.len()
            } else {
                (bytes.len() * step / n + i * 13 + step * 7).min(bytes.len())
            };
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let have = std::fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0);
            if cut <= have {
                continue;
            }
            let rel = path.strip_prefix(&self.home).unwrap().to_string_lossy().into_owned();
            if let Some(ts) = mtimes.and_then(|m| m.get(&rel)) {
                let name = path.file_name().unwrap().to_string_lossy();
                let aside = path.with_file_name(format!(".{name}.part"));
                std::fs::write(&aside, &bytes[..cut]).unwrap();
                set_mtime(&aside, ts.as_str().unwrap());
                std::fs::rename(&aside, path).unwrap();
            } else {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
                f.write_all(&bytes[have..cut]).unwrap();
            }
        }
    }
}
