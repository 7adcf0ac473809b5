//! Upgrade in place: `fixtures/schema3/ledger.db` was written by the release before the sources
//! moved out of core (04855d5, schema 3) scanning `fixtures/schema3/home` (Claude Code and Codex
//! logs with a resumed copy, a fork, a broken line and a half-written last line), with two
//! sessions tagged and one linked to a commit. `daily.json` and `session.json` beside it are what
//! that release reported. This build must open it with every event, session, tag, commit and
//! cursor kept, and read no log again.
//!
//! The ledger names the files where they were (`/tmp/tw-s3/home`) with their inodes and times
//! then. The test puts the same files in a temp home and, in its copy of the ledger, points the
//! cursors at them (path prefix, inode, the stored mtime set on the file): what the same machine
//! would hold. Nothing else in the ledger is touched.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::*;

const OLD_HOME: &str = "/tmp/tw-s3/home";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema3")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[cfg(unix)]
fn identity(p: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).unwrap();
    format!("{}:{}", m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(p: &Path) -> String {
    let m = std::fs::metadata(p).unwrap();
    m.created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().to_string())
        .unwrap_or_default()
}

/// Counts of what the ledger holds, and its schema version.
fn census(db: &Path) -> Vec<(String, i64)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let q = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    [
        "SELECT count(*) FROM events",
        "SELECT sum(input + cw5m + cw1h + cache_read + output) FROM events",
        "SELECT count(*) FROM sessions",
        "SELECT count(*) FROM tags",
        "SELECT count(*) FROM session_commits",
        "SELECT count(*) FROM files",
        "SELECT sum(offset) FROM files",
        "SELECT sum(skipped) FROM files",
    ]
    .iter()
    .map(|s| (s.to_string(), q(s)))
    .collect()
}

fn without_costs(mut v: Value) -> Value {
    // Costs are priced at report time from the shipped table, which this change may extend;
    // tokens, sessions, tags and commits must be exactly what the old release reported.
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                o.retain(|k, _| !k.contains("cost"));
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn a_schema_3_ledger_opens_with_everything_kept_and_no_log_read_again() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    copy_dir(&fixture().join("home"), &home);
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("ledger.db");
    std::fs::copy(fixture().join("ledger.db"), &db).unwrap();
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 3, "the fixture is a schema-3 ledger");
        let rows: Vec<(i64, String, i64)> = c
            .prepare("SELECT id, path, mtime_ns FROM files")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (id, path, mtime_ns) in rows {
            let rel = path.strip_prefix(OLD_HOME).expect("a cursor under the old home");
            let now = PathBuf::from(format!("{}{rel}", home.display()));
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(mtime_ns as u64);
            std::fs::File::options().write(true).open(&now).unwrap().set_modified(t).unwrap();
            c.execute(
                "UPDATE files SET path = ?1, identity = ?2 WHERE id = ?3",
                rusqlite::params![now.to_string_lossy(), identity(&now), id],
            )
            .unwrap();
        }
    }
    let before = census(&db);

    let first = scan(&home, &data);
    assert_eq!(first["bytes_read"], 0, "no log is read again: {first}");
    assert_eq!(first["events"], 0, "{first}");
    let c = rusqlite::Connection::open(&db).unwrap();
    let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, tokenworth_core::store::SCHEMA_VERSION, "migrated to this build's schema");
    drop(c);
    assert_eq!(census(&db), before, "every event, session, tag, commit and cursor kept");

    let want: Value = serde_json::from_slice(&std::fs::read(fixture().join("daily.json")).unwrap()).unwrap();
    let got = daily(&home, &data, true);
    assert_eq!(without_costs(got), without_costs(want), "daily equals the old release's");
    let want: Value =
        serde_json::from_slice(&std::fs::read(fixture().join("session.json")).unwrap()).unwrap();
    let got = json_of(&run_ok(&home, &data, &["session", "--json", "--no-scan"]));
    assert_eq!(without_costs(got), without_costs(want), "sessions, tags and commits as before");

    // The half-written line the old release left waiting is still counted once it completes.
    let f = home.join(".claude/projects/-tmp-tw-s3-repo/repo-s.jsonl");
    append(&f, b"\n");
    let last = scan(&home, &data);
    assert_eq!(last["events"], 0, "a broken line stays skipped, nothing doubles: {last}");
    assert_eq!(last["skipped_lines"], 1, "{last}");
}
