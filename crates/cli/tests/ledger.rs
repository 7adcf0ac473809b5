//! The ledger is the only copy (issue 14): `backup`, `restore`, `doctor`, `export` and `import`
//! through the real binary, on real ledgers: a restore after `ledger.db` was deleted, a
//! corrupted page and a truncated write-ahead log in copies of a real ledger, and an export
//! imported into an empty ledger.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;
const MIN: i64 = 60_000;
const MODEL: &str = "tw-cli-model";
const NOTE: &str = "the login flow, finally";

fn line(session: &str, cwd: &Path, msg: &str, at: i64, input: u64, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"{session}","cwd":"{}","gitBranch":"main","requestId":"r-{msg}","timestamp":"{}","message":{{"id":"{msg}","model":"{MODEL}","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
        cwd.display(),
        ts(at)
    ) + "\n"
}

fn git(home: &Path, dir: &Path, args: &[&str], date_ms: Option<i64>) {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).args(args).env("HOME", home).env("GIT_CONFIG_NOSYSTEM", "1");
    if let Some(ms) = date_ms {
        let d = format!("{} +0000", ms / 1000);
        c.env("GIT_AUTHOR_DATE", &d).env("GIT_COMMITTER_DATE", &d);
    }
    let o = c.output().expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    data: PathBuf,
    log: PathBuf,
    repo: PathBuf,
}

/// Two Claude Code sessions (one in a git repository with a commit), a Droid running total,
/// prices for the model, scanned once and tagged with a note.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let home = root.join("home");
    let data = root.join("data");
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&home, &repo, &["init", "-q", "-b", "main"], None);
    git(&home, &repo, &["config", "user.email", "me@example.com"], None);
    git(&home, &repo, &["config", "user.name", "Me"], None);
    std::fs::write(repo.join("a.txt"), "one\n").unwrap();
    git(&home, &repo, &["add", "a.txt"], None);
    git(&home, &repo, &["commit", "-q", "-m", "Add a"], Some(T + 5 * MIN));
    let dir = home.join(".claude/projects/-repo");
    let log = dir.join("aaaa-1.jsonl");
    write(
        &log,
        (line("aaaa-1", &repo, "m1", T, 1_000_000, 0)
            + &line("aaaa-1", &repo, "m2", T + 10 * MIN, 0, 100_000))
            .as_bytes(),
    );
    write(&dir.join("bbbb-2.jsonl"), line("bbbb-2", &root, "m3", T + 120 * MIN, 500_000, 20_000).as_bytes());
    write(
        &home.join(".factory/sessions/-repo/d1.settings.json"),
        br#"{"model":"gpt-5","providerLock":"openai","tokenUsage":{"inputTokens":100,"outputTokens":10,"cacheCreationTokens":0,"cacheReadTokens":0,"thinkingTokens":0}}"#,
    );
    write(
        &data.join("config.toml"),
        format!("[pricing.models.\"{MODEL}\"]\ninput = 1.0\noutput = 10.0\n").as_bytes(),
    );
    run_ok(&home, &data, &["session", "--json"]);
    run_ok(&home, &data, &["tag", "aaaa-1", "shipped", "--note", NOTE, "--link", "https://example.com/pr/1"]);
    Setup { _tmp: tmp, root, home, data, log, repo }
}

fn run(home: &Path, data: &Path, args: &[&str]) -> Output {
    cmd(home, data, args).output().expect("run tokenworth")
}

fn reports(s: &Setup, data: &Path) -> [Value; 3] {
    [
        json_of(&run_ok(&s.home, data, &["daily", "--json", "--no-scan"])),
        json_of(&run_ok(&s.home, data, &["session", "--json", "--no-scan"])),
        json_of(&run_ok(&s.home, data, &["outcomes", "--json", "--no-scan"])),
    ]
}

fn backup(s: &Setup, data: &Path) -> PathBuf {
    let v = json_of(&run_ok(&s.home, data, &["backup", "--json"]));
    let p = PathBuf::from(v["snapshot"].as_str().expect("snapshot path"));
    assert!(p.is_file(), "{p:?}");
    p
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

fn expect_refused(o: &Output, what: &str) {
    let err = stderr_of(o);
    assert_eq!(o.status.code(), Some(3), "{what}: exit code; stderr:\n{err}");
    assert!(err.contains("damaged"), "{what}: stderr does not say the ledger is damaged:\n{err}");
    assert!(err.contains("tokenworth restore"), "{what}: stderr does not say how to restore:\n{err}");
    assert!(!err.contains("panicked"), "{what}:\n{err}");
}

fn doctor(s: &Setup, data: &Path) -> (Option<i32>, Value) {
    let o = run(&s.home, data, &["doctor", "--json"]);
    assert!(!stderr_of(&o).contains("panicked"));
    (o.status.code(), json_of(&o))
}

/// Equal JSON, floats to 1e-9 (sums of costs in another order differ in the last bit).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn assert_same(got: &Value, want: &Value, what: &str) {
    assert!(same(got, want), "{what}:\n got: {got:#}\nwant: {want:#}");
}

fn messages(d: &Value) -> String {
    d["findings"].as_array().unwrap().iter().map(|f| format!("{}: {}\n", f["check"], f["message"])).collect()
}

#[test]
fn a_restore_after_the_ledger_was_deleted_keeps_tags_and_events_and_the_next_scan_adds_back_the_rest() {
    let s = setup();
    let (code, d) = doctor(&s, &s.data);
    assert_eq!(code, Some(0), "a fresh ledger is sound: {d:#}");
    assert_eq!(d["sound"], true);
    let at_snapshot = reports(&s, &s.data);
    let snap = backup(&s, &s.data);
    assert!(snap.starts_with(s.data.join("snapshots")), "{snap:?}");

    // Spend after the snapshot, still in the logs.
    append(&s.log, line("aaaa-1", &s.repo, "m4", T + 30 * MIN, 2_000, 3_000).as_bytes());
    let latest = json_of(&run_ok(&s.home, &s.data, &["daily", "--json"]));

    for f in ["ledger.db", "ledger.db-wal", "ledger.db-shm"] {
        let _ = std::fs::remove_file(s.data.join(f));
    }
    let o = run_ok(&s.home, &s.data, &["restore", "--json"]);
    let v = json_of(&o);
    assert_eq!(v["restored"], snap.to_str().unwrap());
    assert_eq!(v["kept_aside"], Value::Null);

    let restored = reports(&s, &s.data);
    assert_same_daily(&restored[0], &at_snapshot[0], "restored daily");
    assert_same(&restored[1], &at_snapshot[1], "restored sessions (tags, notes, links, commits)");
    assert_same(&restored[2], &at_snapshot[2], "restored outcomes");
    let a = restored[1]["sessions"].as_array().unwrap().iter().find(|r| r["session_id"] == "aaaa-1").unwrap();
    assert_eq!(a["outcome"], "shipped");
    assert_eq!(a["note"], NOTE);

    // The next scan reads again what the logs hold since the snapshot, and only that.
    let after = json_of(&run_ok(&s.home, &s.data, &["daily", "--json"]));
    assert_same_daily(&after, &latest, "after the next scan");
    let again = json_of(&run_ok(&s.home, &s.data, &["daily", "--json"]));
    assert_same_daily(&again, &latest, "a rescan");
    assert_eq!(doctor(&s, &s.data).0, Some(0));
}

/// The root page of `events` overwritten with garbage, in a copy of a real ledger.
#[test]
fn a_corrupted_page_is_named_nothing_is_written_and_restore_brings_back_the_last_good_snapshot() {
    let s = setup();
    let good = reports(&s, &s.data);
    backup(&s, &s.data);
    let bad = s.root.join("bad");
    copy_dir(&s.data, &bad);
    let db = bad.join("ledger.db");
    assert!(
        !bad.join("ledger.db-wal").exists()
            || std::fs::metadata(bad.join("ledger.db-wal")).unwrap().len() == 0
    );
    let (root, page_size): (i64, i64) = {
        let c =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        (
            c.query_row("SELECT rootpage FROM sqlite_master WHERE name = 'events'", [], |r| r.get(0))
                .unwrap(),
            c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap(),
        )
    };
    let mut bytes = std::fs::read(&db).unwrap();
    let at = ((root - 1) * page_size) as usize;
    for b in &mut bytes[at..at + 64] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();

    let (code, d) = doctor(&s, &bad);
    assert_eq!(code, Some(1), "{d:#}");
    assert_eq!(d["sound"], false);
    let m = messages(&d);
    assert!(m.contains("integrity") && m.contains("in events"), "the damage is named with its table:\n{m}");

    // New spend in the logs: the scan must not write it into the damaged ledger.
    append(&s.log, line("aaaa-1", &s.repo, "m9", T + 40 * MIN, 7, 7).as_bytes());
    expect_refused(&run(&s.home, &bad, &["scan"]), "scan");
    expect_refused(&run(&s.home, &bad, &["daily"]), "daily (scans first)");
    expect_refused(&run(&s.home, &bad, &["tag", "bbbb-2", "wasted", "--no-scan"]), "tag");
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "the damaged ledger was written to");

    let o = run_ok(&s.home, &bad, &["restore"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("kept as"), "{}", String::from_utf8_lossy(&o.stdout));
    let aside: Vec<_> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ledger-replaced-") && n.ends_with(".db"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside");
    assert_eq!(std::fs::read(bad.join(&aside[0])).unwrap(), bytes);
    assert_eq!(doctor(&s, &bad).0, Some(0));
    let back = reports(&s, &bad);
    assert_same_daily(&back[0], &good[0], "restored daily");
    assert_same(&back[1], &good[1], "reports");
    // And it is written to again: the new line is scanned.
    let scanned = json_of(&run_ok(&s.home, &bad, &["scan", "--json"]));
    assert_eq!(scanned["events"], 1, "{scanned:#}");
}

/// A real WAL with a committed tag in it (a reader kept the checkpoint from copying it), in a
/// copy of the data dir, cut inside a frame.
#[test]
fn a_truncated_wal_is_named_nothing_is_written_and_restore_brings_back_the_last_good_snapshot() {
    let s = setup();
    backup(&s, &s.data);
    let good = reports(&s, &s.data);
    let reader = open_ro(&s.data).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
    run_ok(&s.home, &s.data, &["tag", "bbbb-2", "explored", "--note", "after the snapshot", "--no-scan"]);
    let bad = s.root.join("bad");
    copy_dir(&s.data, &bad);
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    let wal = bad.join("ledger.db-wal");
    let size = std::fs::metadata(&wal).unwrap().len();
    assert!(size > 32 + 4096, "the WAL holds frames ({size} bytes)");
    let _ = std::fs::remove_file(bad.join("ledger.db-shm"));
    let cut = size - 1000;
    std::fs::OpenOptions::new().write(true).open(&wal).unwrap().set_len(cut).unwrap();

    let (code, d) = doctor(&s, &bad);
    assert_eq!(code, Some(1), "{d:#}");
    let m = messages(&d);
    assert!(m.contains("write-ahead log") && m.contains("truncated"), "{m}");
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), cut, "the doctor changed the WAL");

    append(&s.log, line("aaaa-1", &s.repo, "m9", T + 40 * MIN, 7, 7).as_bytes());
    expect_refused(&run(&s.home, &bad, &["scan"]), "scan");
    expect_refused(&run(&s.home, &bad, &["tag", "bbbb-2", "wasted", "--no-scan"]), "tag");
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), cut, "the WAL was written to or checkpointed");

    run_ok(&s.home, &bad, &["restore"]);
    assert!(!wal.exists(), "the truncated WAL went aside with its ledger");
    assert_eq!(doctor(&s, &bad).0, Some(0));
    let back = reports(&s, &bad);
    assert_same_daily(&back[0], &good[0], "restored daily");
    assert_same(&back[1], &good[1], "the snapshot's sessions and tags");
}

#[test]
fn export_then_import_into_an_empty_ledger_reports_the_same_and_importing_twice_changes_nothing() {
    let s = setup();
    let want = reports(&s, &s.data);
    let file = s.root.join("export.jsonl");
    run_ok(&s.home, &s.data, &["export", "--no-scan", "--output", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with(r#"{"type":"header","format":"tokenworth-export","version":1"#), "{text}");
    for t in ["event", "session", "tag", "commit", "total"] {
        assert!(text.contains(&format!(r#"{{"type":"{t}""#)), "the export has no {t} row:\n{text}");
    }

    // The price overrides are config.toml's, not the ledger's: a move takes both.
    let fresh = s.root.join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::copy(s.data.join("config.toml"), fresh.join("config.toml")).unwrap();
    let r = json_of(&run_ok(&s.home, &fresh, &["import", file.to_str().unwrap(), "--json"]));
    assert_eq!(r["events_added"], 4, "{r:#}");
    let got = reports(&s, &fresh);
    assert_same_daily(&got[0], &want[0], "imported daily");
    assert_same(&got[1], &want[1], "imported sessions");
    assert_same(&got[2], &want[2], "imported outcomes");

    // Twice: nothing changes (and stdin works).
    let o = cmd(&s.home, &fresh, &["import", "-", "--json"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let r = json_of(&o);
    assert_eq!(
        r,
        serde_json::json!({"events_added":0,"events_known":4,"sessions":0,"tags":0,"commits":0,"totals":0})
    );
    let twice = reports(&s, &fresh);
    assert_same(&twice[1], &want[1], "reports");
    assert_same(&twice[2], &want[2], "reports");
    assert_same_daily(&twice[0], &want[0], "imported twice");

    // The same logs scanned into the imported ledger add nothing (keys, the Droid total).
    let scanned = json_of(&run_ok(&s.home, &fresh, &["daily", "--json"]));
    assert_same_daily(&scanned, &want[0], "scanned after import");
    assert_eq!(doctor(&s, &fresh).0, Some(0));

    // CSV holds events only, with a header; a date range narrows it.
    let csv = String::from_utf8(run_ok(&s.home, &s.data, &["export", "--format", "csv", "--no-scan"]).stdout)
        .unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
    assert!(csv.starts_with("time,source,session_id,"));
    let none = String::from_utf8(
        run_ok(&s.home, &s.data, &["export", "--format", "csv", "--no-scan", "--until", "2026-03-01"]).stdout,
    )
    .unwrap();
    assert_eq!(none.lines().count(), 1, "{none}");
}

#[test]
fn import_refuses_what_is_not_an_export_and_stores_nothing() {
    let s = setup();
    let before = reports(&s, &s.data);
    let bad = s.root.join("bad.jsonl");
    for (text, needle) in [
        ("", "header"),
        ("{\"type\":\"event\"}\n", "line 1"),
        (
            "{\"type\":\"header\",\"format\":\"tokenworth-export\",\"version\":1,\"schema\":4,\"exported_at\":\"x\"}\n{\"type\":\"tag\",\"source\":\"claude-code\",\"session_id\":\"bbbb-2\",\"outcome\":\"great\",\"note\":null,\"link\":null,\"tagged_at_ms\":1}\n",
            "line 2",
        ),
    ] {
        std::fs::write(&bad, text).unwrap();
        let o = run(&s.home, &s.data, &["import", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text:?}: {}", stderr_of(&o));
        assert!(stderr_of(&o).contains(needle), "{text:?}: {}", stderr_of(&o));
    }
    assert_same(&reports(&s, &s.data)[1], &before[1], "nothing imported");
}

#[test]
fn snapshots_are_taken_daily_before_the_first_write_and_kept_by_retention() {
    let s = setup();
    // The setup's second run (the tag) found a ledger and no snapshot: it took one.
    let dir = s.data.join("snapshots");
    // The snapshots (not the folder's hidden `.lock`, which one process at a time holds).
    let list = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert_eq!(list(&dir).len(), 1, "{:?}", list(&dir));
    run_ok(&s.home, &s.data, &["daily"]);
    assert_eq!(list(&dir).len(), 1, "not due again the same day");
    // A snapshot folder of the user's, and retention of 1 day and 0 weeks.
    let other = s.root.join("elsewhere/snaps");
    append(
        &s.data.join("config.toml"),
        format!("[backup]\ndir = \"{}\"\nkeep_daily = 1\nkeep_weekly = 0\n", other.display()).as_bytes(),
    );
    backup(&s, &s.data);
    backup(&s, &s.data);
    assert_eq!(list(&other).len(), 1, "{:?}", list(&other));
    // Every snapshot is a sound ledger that opens.
    let snap = other.join(&list(&other)[0]);
    let c = rusqlite::Connection::open_with_flags(&snap, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let n: i64 = c.query_row("SELECT count(*) FROM tags", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    // A bad setting is refused with its name.
    std::fs::write(s.data.join("config.toml"), b"[backup]\nkeep_daily = -1\n").unwrap();
    let o = run(&s.home, &s.data, &["backup"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr_of(&o).contains("backup.keep_daily"), "{}", stderr_of(&o));
}

/// `tokenworth export | head`: a reader that stops early is not an error (as for the reports).
/// The pipe's reading end is closed before the command starts, so every write meets it.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_any_output_quietly() {
    let s = setup();
    // Outputs larger than any buffer on the way: 3,000 more requests.
    let mut more = String::new();
    for i in 0..3000 {
        more.push_str(&line("bulk-1", &s.repo, &format!("bulk-{i}"), T + i * MIN, 10, 5));
    }
    std::fs::OpenOptions::new().append(true).open(&s.log).unwrap().write_all(more.as_bytes()).unwrap();
    run_ok(&s.home, &s.data, &["scan"]);
    for args in [
        &["export", "--no-scan"][..],
        &["export", "--no-scan", "--format", "csv"],
        &["daily", "--json", "--no-scan"],
        &["session", "--no-scan"],
        &["blocks", "--json", "--no-scan"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = cmd(&s.home, &s.data, args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run tokenworth");
        assert!(
            o.status.success(),
            "{args:?}: {:?}, stderr: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&o.stderr), "", "{args:?}: nothing on stderr");
    }
}
