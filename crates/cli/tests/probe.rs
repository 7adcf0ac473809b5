//! What a probe of the CLI with hostile input found (issue 14), each as the regression test that
//! failed before its fix: token counts out of range, symlink loops under a log root, request ids
//! that differ only in invalid UTF-8, file-system problems reported as refused databases, `$TZ`
//! forms, a read-only ledger, and timestamps in years 0000 and 9999.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;

fn raw_line(msg: &str, req: &[u8], at: &str, input: &str, output: &str) -> Vec<u8> {
    let mut l = br#"{"type":"assistant","sessionId":"s-1","cwd":"/p","requestId":"r-"#.to_vec();
    l.extend_from_slice(req);
    l.extend_from_slice(
        format!(
            r#"","timestamp":"{at}","message":{{"id":"{msg}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#
        )
        .as_bytes(),
    );
    l.push(b'\n');
    l
}

fn line(msg: &str, input: &str, output: &str) -> Vec<u8> {
    raw_line(msg, msg.as_bytes(), &ts(T), input, output)
}

struct Home {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    data: PathBuf,
    log: PathBuf,
}

fn home_with(lines: &[Vec<u8>]) -> Home {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let home = root.join("home");
    let data = root.join("data");
    let log = home.join(".claude/projects/-p/s-1.jsonl");
    write(&log, &lines.concat());
    Home { _tmp: tmp, root, home, data, log }
}

fn run(h: &Home, args: &[&str]) -> Output {
    cmd(&h.home, &h.data, args).output().unwrap()
}

fn input_tokens(v: &Value) -> u64 {
    v["total"]["input_tokens"].as_u64().unwrap_or_else(|| panic!("no total input: {v:#}"))
}

#[test]
fn token_counts_out_of_range_are_skipped_and_counted_and_no_sum_wraps() {
    let max = i64::MAX.to_string();
    let h = home_with(&[
        line("m1", "1000", "10"),
        line("m2", "1e30", "1"),
        line("m3", "18446744073709551615", "1"),
        line("m4", &max, "1"),
        line("m5", &max, "1"),
        line("m6", "1", "200000000000"),
    ]);
    let scan = json_of(&run_ok(&h.home, &h.data, &["scan", "--json"]));
    assert_eq!(scan["skipped_lines"], 5, "{scan:#}");
    let daily = json_of(&run_ok(&h.home, &h.data, &["daily", "--json", "--no-scan"]));
    assert_eq!(input_tokens(&daily), 1000);
    assert_eq!(daily["total"]["output_tokens"], 10);
    let session = json_of(&run_ok(&h.home, &h.data, &["session", "--json", "--no-scan"]));
    assert_eq!(input_tokens(&session), 1000);
    assert_eq!(session["sessions"][0]["requests"], 1);
    assert_ledger_consistent(&h.data, true);
    assert_eq!(run(&h, &["doctor"]).status.code(), Some(0));
}

#[test]
fn a_directory_symlink_loop_under_a_log_root_is_followed_once() {
    let h = home_with(&[line("m1", "10", "1")]);
    let projects = h.home.join(".claude/projects");
    for i in 2..=3 {
        write(&projects.join(format!("-p{i}/s-{i}.jsonl")), &line(&format!("m{i}"), "10", "1"));
    }
    std::os::unix::fs::symlink("..", projects.join("-p/up")).unwrap();
    std::os::unix::fs::symlink("..", projects.join("-p2/up")).unwrap();
    std::os::unix::fs::symlink(&projects, projects.join("-p3/again")).unwrap();
    let started = std::time::Instant::now();
    run_ok(&h.home, &h.data, &["scan", "--json"]);
    assert!(started.elapsed().as_secs() < 20);
    let files: i64 =
        open_ro(&h.data).unwrap().query_row("SELECT count(*) FROM files", [], |r| r.get(0)).unwrap();
    assert_eq!(files, 3, "each real file once");
    let daily = json_of(&run_ok(&h.home, &h.data, &["daily", "--json", "--no-scan"]));
    assert_eq!(input_tokens(&daily), 30);
}

#[test]
fn request_ids_that_differ_only_in_invalid_utf8_stay_two_requests() {
    let h = home_with(&[
        raw_line("m1", b"a\xff", &ts(T), "100", "1"),
        raw_line("m1", b"a\xfe", &ts(T + 1000), "200", "2"),
    ]);
    let session = json_of(&run_ok(&h.home, &h.data, &["session", "--json"]));
    assert_eq!(session["sessions"][0]["requests"], 2, "{session:#}");
    assert_eq!(input_tokens(&session), 300);
    // And a rescan stores them once each.
    let _ = run_ok(&h.home, &h.data, &["scan"]);
    std::fs::write(&h.log, std::fs::read(&h.log).unwrap()).unwrap();
    let again = json_of(&run_ok(&h.home, &h.data, &["session", "--json"]));
    assert_eq!(input_tokens(&again), 300);
}

fn expect_other_error(o: &Output, needle: &str, what: &str) {
    let err = stderr_of(o);
    assert_eq!(o.status.code(), Some(1), "{what}: exit code; stderr:\n{err}");
    assert!(err.contains(needle), "{what}: stderr lacks {needle:?}:\n{err}");
    assert!(!err.contains("panicked"), "{what}:\n{err}");
}

#[test]
fn file_system_problems_are_other_errors_and_a_long_project_is_no_error() {
    let h = home_with(&[line("m1", "10", "1")]);
    let file = h.root.join("a-file");
    std::fs::write(&file, b"").unwrap();
    let o = cmd_raw(&h.home, &["daily", "--data-dir", file.to_str().unwrap()]).output().unwrap();
    expect_other_error(&o, "is a file, not a folder", "a data dir that is a file");
    let o = cmd_raw(&h.home, &["daily", "--data-dir", file.join("data").to_str().unwrap()]).output().unwrap();
    expect_other_error(&o, "a-file", "a data dir below a file");
    let long = h.root.join("x".repeat(300));
    let o = cmd_raw(&h.home, &["daily", "--data-dir", long.to_str().unwrap()]).output().unwrap();
    expect_other_error(&o, "too long", "a name too long");

    // A ledger that is a directory: SQLite cannot open it; not a refused database either.
    let dir_db = h.root.join("dirdb");
    std::fs::create_dir_all(dir_db.join("ledger.db")).unwrap();
    let o = cmd_raw(&h.home, &["daily", "--data-dir", dir_db.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr_of(&o));

    // A --project longer than SQLite's LIKE pattern limit simply matches nothing.
    let p = "p".repeat(60_000);
    let o = run(&h, &["daily", "--json", "--project", &p]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(json_of(&o)["days"], serde_json::json!([]));
}

#[test]
fn tz_posix_offsets_are_honoured_and_an_unknown_tz_is_a_warning() {
    // 2026-03-02T01:00Z is still 2026-03-01 three hours west of Greenwich.
    let h = home_with(&[raw_line("m1", b"m1", "2026-03-02T01:00:00.000Z", "10", "1")]);
    let data = h.data.to_str().unwrap();
    let days = |tz: &str| -> (Value, String) {
        let o = cmd_raw(&h.home, &["daily", "--json", "--data-dir", data]).env("TZ", tz).output().unwrap();
        assert!(o.status.success(), "TZ={tz}: {}", stderr_of(&o));
        (json_of(&o)["days"][0]["date"].clone(), stderr_of(&o))
    };
    assert_eq!(days("UTC+3").0, "2026-03-01");
    assert_eq!(days("<-03>3").0, "2026-03-01");
    assert_eq!(days("UTC-3").0, "2026-03-02");
    let (_, err) = days("Mars/Olympus");
    assert!(err.contains("TZ='Mars/Olympus'") && err.contains("system"), "{err}");
    // --timezone takes the same forms.
    let o =
        cmd_raw(&h.home, &["daily", "--json", "--data-dir", data, "--timezone", "UTC+3"]).output().unwrap();
    assert_eq!(json_of(&o)["days"][0]["date"], "2026-03-01");
}

/// `chattr +i` (root may write any file but an immutable one); unset on drop.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: &[&Path]) -> Option<Immutable> {
        let mut done = Immutable(Vec::new());
        for p in paths {
            let ok =
                std::process::Command::new("chattr").arg("+i").arg(p).status().is_ok_and(|s| s.success());
            if !ok {
                return None;
            }
            done.0.push(p.to_path_buf());
        }
        Some(done)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::process::Command::new("chattr").arg("-i").arg(p).status();
        }
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_ledger_still_reports_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let h = home_with(&[line("m1", "10", "1")]);
    run_ok(&h.home, &h.data, &["scan"]);
    let db = db_path(&h.data);
    for p in [&db, &h.data] {
        let mode = if p.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    // Root writes a file whatever its mode: an immutable one it cannot.
    let _guard = if std::fs::OpenOptions::new().write(true).open(&db).is_ok() {
        match Immutable::set(&[&db, &h.data]) {
            Some(g) => Some(g),
            None => {
                eprintln!("skipped: cannot make a file read-only for this user");
                return;
            }
        }
    } else {
        None
    };
    let o = run(&h, &["daily", "--json", "--no-scan"]);
    assert!(o.status.success(), "--no-scan on a read-only ledger: {}", stderr_of(&o));
    assert_eq!(input_tokens(&json_of(&o)), 10);

    append(&h.log, &line("m2", "5", "1"));
    let o = run(&h, &["daily", "--json"]);
    assert!(o.status.success(), "a report on a read-only ledger: {}", stderr_of(&o));
    assert_eq!(input_tokens(&json_of(&o)), 10, "what is stored");
    assert!(stderr_of(&o).contains("could not be stored"), "{}", stderr_of(&o));
    let o = run(&h, &["session", "--json"]);
    assert!(o.status.success(), "{}", stderr_of(&o));

    // Writing commands say why, exit 1 (not a refused database).
    let o = run(&h, &["tag", "s-1", "shipped", "--no-scan"]);
    expect_other_error(&o, "cannot use the ledger", "tag on a read-only ledger");
    drop(_guard);
    for p in [&h.data, &db] {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[test]
fn records_dated_before_2020_or_after_tomorrow_are_skipped_and_counted() {
    let h = home_with(&[
        line("m1", "10", "1"),
        raw_line("m2", b"m2", "0000-01-01T00:00:00.000Z", "20", "1"),
        raw_line("m3", b"m3", "9999-12-31T23:59:59.999Z", "40", "1"),
        raw_line("m4", b"m4", "1999-12-31T00:00:00.000Z", "80", "1"),
    ]);
    let scan = json_of(&run_ok(&h.home, &h.data, &["scan", "--json"]));
    assert_eq!(scan["skipped_lines"], 3, "{scan:#}");
    let blocks = json_of(&run_ok(&h.home, &h.data, &["blocks", "--json", "--no-scan"]));
    assert_eq!(input_tokens(&blocks), 10);
    for b in blocks["blocks"].as_array().unwrap() {
        for k in ["start", "end", "actual_end"] {
            let t = b[k].as_str().unwrap_or("");
            assert!(t.len() == 24 && t.starts_with("20"), "{k} = {t:?} is outside the contract's ISO form");
        }
    }
    let daily = json_of(&run_ok(&h.home, &h.data, &["daily", "--json", "--no-scan"]));
    assert_eq!(daily["days"].as_array().unwrap().len(), 1);
}

/// A data dir the user may not enter: a clear "permission denied", exit 1 (not 3, a refused
/// database), for a report and for a scan; and a data dir that cannot be made. Root enters every
/// folder, so as root the binary runs as `nobody` (setpriv, util-linux).
#[cfg(unix)]
#[test]
fn a_permission_problem_is_an_other_error() {
    use std::os::unix::fs::PermissionsExt;
    let h = home_with(&[line("m1", "10", "1")]);
    run_ok(&h.home, &h.data, &["scan"]);
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout.starts_with(b"0\n");
    // Everything the other user needs is reachable: the temp root, the home, the binary.
    let binary = h.root.join("tokenworth");
    std::fs::copy(bin(), &binary).unwrap();
    for (p, mode) in [(&h.root, 0o755), (&h.home, 0o755), (&binary, 0o755)] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    for d in ["home/.claude", "home/.claude/projects", "home/.claude/projects/-p"] {
        std::fs::set_permissions(h.root.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&h.log, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&h.data, std::fs::Permissions::from_mode(if root { 0o700 } else { 0o000 }))
        .unwrap();
    let run_as_other = |data: &Path, args: &[&str]| -> Output {
        let mut c = if root {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&binary);
            c
        } else {
            std::process::Command::new(&binary)
        };
        c.args(args).arg("--data-dir").arg(data).args(["--timezone", "UTC"]);
        c.env("HOME", &h.home).env_remove("TOKENWORTH_DATA_DIR").env_remove("TZ").env("NO_COLOR", "1");
        c.output().unwrap()
    };
    let o = run_as_other(&h.data, &["daily", "--json"]);
    expect_other_error(&o, "Permission denied", "a report on a data dir the user may not enter");
    let o = run_as_other(&h.data, &["scan"]);
    expect_other_error(&o, "Permission denied", "a scan on a data dir the user may not enter");
    let o = run_as_other(&h.data.join("inner"), &["daily"]);
    expect_other_error(&o, "Permission denied", "a data dir that cannot be made");
    std::fs::set_permissions(&h.data, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Its own ledger again: nothing was lost.
    assert_eq!(input_tokens(&json_of(&run(&h, &["daily", "--json", "--no-scan"]))), 10);
}
