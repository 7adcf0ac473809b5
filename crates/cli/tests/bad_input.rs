//! Bad input: a corrupt, foreign, newer or locked ledger, unreadable or odd paths, broken bytes
//! in the logs, enormous lines, wrong flags. Each ends with a clear message on stderr and a
//! documented exit code (0 ok, 1 other error, 2 usage, 3 database refused, locked or corrupt),
//! never a panic or a hang, and loses nothing already stored.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;

const GUARD: Duration = Duration::from_secs(90);

/// Requires exit `code`, each of `needles` in stderr, and no panic.
fn expect_fail(o: &Output, code: i32, needles: &[&str], what: &str) {
    let err = stderr_of(o);
    assert_eq!(o.status.code(), Some(code), "{what}: exit status; stderr:\n{err}");
    assert!(!err.contains("panicked"), "{what}: panicked:\n{err}");
    for n in needles {
        assert!(err.contains(n), "{what}: stderr lacks {n:?}:\n{err}");
    }
}

fn small_home(rng: &mut Rng, home: &Path) -> Built {
    build_home(
        rng,
        home,
        Spec { projects: 2, claude_files: 4, codex_files: 2, turns: 6, tool_bytes: 300, big_chance: 0.0 },
    )
}

fn run(home: &Path, data: &Path, args: &[&str]) -> Output {
    run_guarded(cmd(home, data, args), GUARD, &format!("tokenworth {args:?}"))
}

// ---------------------------------------------------------------------------------------------
// The ledger

#[test]
fn garbage_ledger_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    small_home(&mut Rng::new(1), &home);
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0xBAD);
    let garbage: Vec<u8> = (0..65_536).map(|_| rng.next_u64() as u8).collect();
    write(&db_path(&data), &garbage);
    let shown = db_path(&data).display().to_string();
    for args in [&["daily", "--json"][..], &["scan"], &["sources", "--json"], &["daily", "--no-scan"]] {
        let o = run(&home, &data, args);
        expect_fail(&o, 3, &[&shown, "not a Tokenworth database"], &format!("garbage ledger, {args:?}"));
        assert!(o.stdout.is_empty(), "printed a report from a garbage ledger");
        assert!(std::fs::read(db_path(&data)).unwrap() == garbage, "the garbage ledger was modified");
    }
}

#[test]
fn ledger_with_a_corrupt_body_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    small_home(&mut Rng::new(2), &home);
    let data = tmp.path().join("data");
    scan(&home, &data);
    // A valid SQLite header, garbage after it.
    let mut bytes = std::fs::read(db_path(&data)).unwrap();
    let mut rng = Rng::new(3);
    for b in &mut bytes[100..] {
        *b = rng.next_u64() as u8;
    }
    std::fs::write(db_path(&data), &bytes).unwrap();
    let shown = db_path(&data).display().to_string();
    for args in [&["daily", "--json"][..], &["daily", "--json", "--no-scan"]] {
        let o = run(&home, &data, args);
        // A Tokenworth ledger with damaged pages is named damaged, with the way back (issue 14).
        expect_fail(&o, 3, &[&shown, "damaged", "tokenworth restore"], &format!("corrupt ledger, {args:?}"));
        assert!(std::fs::read(db_path(&data)).unwrap() == bytes, "the corrupt ledger was modified");
    }
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    small_home(&mut Rng::new(4), &home);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    {
        // A `ledger.db` of some bookkeeping tool: a database, but not ours (and not in WAL mode).
        let c = rusqlite::Connection::open(db_path(&data)).unwrap();
        c.execute_batch(
            "CREATE TABLE entries(day TEXT, amount REAL); INSERT INTO entries VALUES ('2026-03-01', 12.5);",
        )
        .unwrap();
    }
    let before = std::fs::read(db_path(&data)).unwrap();
    let o = run(&home, &data, &["daily", "--json"]);
    expect_fail(
        &o,
        3,
        &[&db_path(&data).display().to_string(), "not a Tokenworth database"],
        "foreign database",
    );
    assert!(std::fs::read(db_path(&data)).unwrap() == before, "another program's database was modified");
}

fn set_pragma(data: &Path, sql: &str) {
    let c = rusqlite::Connection::open(db_path(data)).unwrap();
    c.execute_batch(sql).unwrap();
}

#[test]
fn newer_ledger_is_refused_untouched_and_nothing_is_lost() {
    for journal in ["wal", "delete"] {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let mut rng = Rng::new(5);
        let mut built = small_home(&mut rng, &home);
        let data = tmp.path().join("data");
        let base = daily(&home, &data, false);
        assert_eq!(sums_of(&base), built.exp);
        // More to read, so a scan that went ahead would change the file.
        let more = built.claude[0].1.turns(&mut rng, 2, &mut Expected::new());
        append(&built.claude[0].0, more.as_bytes());
        set_pragma(&data, &format!("PRAGMA journal_mode = {journal}; PRAGMA user_version = 999;"));
        let before = std::fs::read(db_path(&data)).unwrap();
        let shown = db_path(&data).display().to_string();
        for args in [&["daily", "--json"][..], &["scan"], &["daily", "--json", "--no-scan"]] {
            let o = run(&home, &data, args);
            expect_fail(&o, 3, &[&shown, "newer", "999"], &format!("newer ledger ({journal}), {args:?}"));
            assert!(
                std::fs::read(db_path(&data)).unwrap() == before,
                "a newer ledger ({journal} journal) was modified by {args:?}"
            );
        }
        // Back to this build's schema: everything stored before is still there.
        set_pragma(&data, &format!("PRAGMA user_version = {};", tokenworth_core::store::SCHEMA_VERSION));
        assert_same_daily(&daily(&home, &data, true), &base, "after the refusals");
    }
}

/// A lock held for writing (another scan running): readers pass (WAL), and a report that has
/// nothing new to ingest succeeds; one that has new lines to store waits out the busy timeout and
/// exits 3 saying the ledger is locked. Released, the next run stores the new lines.
#[test]
fn write_locked_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let mut rng = Rng::new(6);
    let mut built = small_home(&mut rng, &home);
    let data = tmp.path().join("data");
    let base = daily(&home, &data, false);

    let lock = rusqlite::Connection::open(db_path(&data)).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let o = run(&home, &data, &["daily", "--json"]);
    assert!(o.status.success(), "nothing new to store, a write lock held elsewhere: {}", stderr_of(&o));
    assert_same_daily(&json_of(&o), &base, "under a write lock");

    let mut want = built.exp.clone();
    let more = built.claude[1].1.turns(&mut rng, 2, &mut want);
    append(&built.claude[1].0, more.as_bytes());
    let o = run(&home, &data, &["daily", "--json", "--no-scan"]);
    assert!(o.status.success(), "--no-scan under a write lock: {}", stderr_of(&o));
    assert_same_daily(&json_of(&o), &base, "--no-scan under a write lock");

    let o = run(&home, &data, &["daily", "--json"]);
    expect_fail(&o, 3, &[&db_path(&data).display().to_string(), "locked"], "new lines under a write lock");
    assert!(o.stdout.is_empty());

    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    assert_eq!(sums_of(&daily(&home, &data, false)), want, "after the lock was released");
}

/// A lock that keeps even readers out (`locking_mode = EXCLUSIVE`): every command waits out the
/// busy timeout and exits 3 saying the ledger is locked; released, the ledger is intact.
#[test]
fn exclusively_locked_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let built = small_home(&mut Rng::new(7), &home);
    let data = tmp.path().join("data");
    let base = daily(&home, &data, false);

    let lock = rusqlite::Connection::open(db_path(&data)).unwrap();
    lock.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;").unwrap();
    let o = run(&home, &data, &["daily", "--json", "--no-scan"]);
    expect_fail(&o, 3, &[&db_path(&data).display().to_string(), "locked"], "exclusively locked ledger");
    assert!(o.stdout.is_empty());
    drop(lock);

    let after = daily(&home, &data, false);
    assert_same_daily(&after, &base, "after the exclusive lock");
    assert_eq!(sums_of(&after), built.exp);
}

// ---------------------------------------------------------------------------------------------
// The logs

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// An unreadable project directory, a dangling symlink, a named pipe and a root that is a file:
/// the scan goes on with the rest, warning about what it could not read.
#[cfg(unix)]
#[test]
fn unreadable_and_odd_paths_are_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let mut rng = Rng::new(8);
    let built = small_home(&mut rng, &home);
    let data = tmp.path().join("data");
    let projects = home.join(".claude/projects");

    // A project directory nobody may read (root may anyway: then it is simply read).
    let mut locked_exp = Expected::new();
    let mut s = ClaudeSession::new(&mut rng, "/home/dev/secret", T0_MS + 86_400_000);
    let secret_dir = projects.join("-home-dev-secret");
    write(
        &claude_path(&home, "-home-dev-secret", &s.session),
        s.turns(&mut rng, 3, &mut locked_exp).as_bytes(),
    );
    set_mode(&secret_dir, 0o000);
    let root_reads_anyway = std::fs::read_dir(&secret_dir).is_ok();

    // A dangling symlink and a named pipe where transcripts are.
    std::os::unix::fs::symlink(tmp.path().join("gone.jsonl"), projects.join("-home-dev-p0/dangling.jsonl"))
        .unwrap();
    let fifo = projects.join("-home-dev-p1/pipe.jsonl");
    let made_fifo = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());

    let o = run(&home, &data, &["scan", "--json"]);
    set_mode(&secret_dir, 0o755);
    let err = stderr_of(&o);
    assert!(o.status.success(), "scan with unreadable paths failed:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("warning") && err.contains("dangling.jsonl"),
        "no warning for the dangling symlink:\n{err}"
    );
    let mut want = built.exp.clone();
    if root_reads_anyway {
        eprintln!("running as root: the mode-000 directory was readable, no warning expected for it");
        expect_merge(&mut want, &locked_exp);
    } else {
        assert!(err.contains("-home-dev-secret"), "no warning for the unreadable directory:\n{err}");
    }
    if made_fifo {
        assert!(
            err.contains("pipe.jsonl") && err.contains("not a regular file"),
            "no warning for the pipe:\n{err}"
        );
    } else {
        eprintln!("mkfifo unavailable: named pipe case not run");
    }
    assert_eq!(sums_of(&daily(&home, &data, true)), want, "the readable rest");

    // `~/.claude/projects` a file rather than a directory: Claude Code's logs are not found there
    // (`sources` says so), Codex's still are.
    std::fs::remove_dir_all(&projects).unwrap();
    std::fs::write(&projects, b"not a directory").unwrap();
    let data2 = tmp.path().join("data2");
    let o = run(&home, &data2, &["daily", "--json"]);
    assert!(o.status.success(), "root that is a file:\n{}", stderr_of(&o));
    let codex_only: Expected =
        built.exp.iter().filter(|(k, _)| k.1 == "codex").map(|(k, v)| (k.clone(), *v)).collect();
    assert_eq!(sums_of(&json_of(&o)), codex_only);
    let v = json_of(&run(&home, &data2, &["sources", "--json", "--no-scan"]));
    let claude = v["sources"].as_array().unwrap().iter().find(|s| s["id"] == "claude-code").unwrap();
    let not_found: Vec<&str> =
        claude["paths_not_found"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(not_found.contains(&projects.to_str().unwrap()), "{v}");
}

/// Invalid UTF-8 and lone surrogate escapes inside lines that carry usage: the usage still
/// counts. A line of binary garbage: skipped, and counted as such for its source.
#[test]
fn broken_bytes_in_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(9);
    let mut exp = Expected::new();

    let inject = |line: String, after: &str, bytes: &[u8]| -> Vec<u8> {
        let at = line.find(after).unwrap_or_else(|| panic!("{after} not in {line}")) + after.len();
        let mut v = line.into_bytes();
        v.splice(at..at, bytes.iter().copied());
        v
    };
    let garbage: Vec<u8> = (0..300).map(|_| 0x80 | rng.next_u64() as u8).chain([b'\n']).collect();

    let mut s = ClaudeSession::new(&mut rng, "/home/dev/p", T0_MS);
    let mut f = s.user_line(&mut rng, 400).into_bytes();
    // Invalid UTF-8 in the message content, in an ignored field, and in a field that is read.
    for (after, bytes) in [
        (r#""gitBranch":"ma"#, &b"\xff\xfe"[..]),
        (r#""cwd":"/home/dev/"#, &b"\xe6\x97 bad \xc3"[..]),
        (r#""requestId":"req_"#, &b"\x80"[..]),
        (r#""parentUuid":""#, &b"\\ud83d"[..]),
    ] {
        let resp = s.response(&mut rng, 1, &mut exp);
        f.extend(inject(resp, after, bytes));
    }
    // Content with invalid UTF-8 and a lone surrogate, wherever the content text starts.
    for bytes in [&b" \xf0\x9f\x98 \xff "[..], &b"\\udc00 half"[..]] {
        let resp = s.response(&mut rng, 2, &mut exp);
        // Only the last line of the response (the one that counts) is broken.
        let (first, last) = resp.trim_end().rsplit_once('\n').unwrap();
        let key = if last.contains(r#""type":"text","text":""#) {
            r#""type":"text","text":""#
        } else {
            r#""command":""#
        };
        f.extend(format!("{first}\n").into_bytes());
        f.extend(inject(format!("{last}\n"), key, bytes));
    }
    f.extend(&garbage);
    f.extend(s.turns(&mut rng, 2, &mut exp).into_bytes());
    write(&claude_path(&home, "-home-dev-p", &s.session), &f);

    let mut r = CodexRollout::new(&mut rng, "/home/dev/api", T0_MS);
    let mut f = r.header(&mut rng).into_bytes();
    let turns = r.turns(&mut rng, 6, &mut exp);
    for (i, line) in turns.lines().enumerate() {
        let line = format!("{line}\n");
        if line.contains(r#""type":"token_count","info":{"#) && i % 2 == 0 {
            f.extend(inject(
                line,
                r#""type":"token_count","#,
                b"\"note\":\"\xff\xc0\x80 bad\",\"s\":\"\\ud800\",",
            ));
        } else if line.contains("function_call_output") {
            f.extend(inject(line, r#""output":""#, b"\xfe\xff\\udfff"));
        } else {
            f.extend(line.into_bytes());
        }
        if i == 3 {
            f.extend(&garbage);
        }
    }
    write(&r.path(&home), &f);

    let o = run(&home, &data, &["daily", "--json"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(!stderr_of(&o).contains("panicked"));
    assert_eq!(sums_of(&json_of(&o)), exp, "usage on lines with broken bytes");
    let src = sources(&home, &data);
    assert_eq!(src["claude-code"].2, 1, "claude-code skipped lines: {src:?}");
    assert_eq!(src["codex"].2, 1, "codex skipped lines: {src:?}");
}

/// 50 MB single lines: a user line with a huge tool output (mentioning "usage"), an assistant
/// line with a huge text and usage, a Codex tool output; no panic, the usage counts, and the peak
/// memory stays sane.
#[test]
fn fifty_megabyte_lines() {
    const BIG: usize = 50 << 20;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(10);
    let mut exp = Expected::new();

    let mut s = ClaudeSession::new(&mut rng, "/home/dev/p", T0_MS);
    let mut f = s.turns(&mut rng, 2, &mut exp);
    let user = s.user_line(&mut rng, 10);
    let (head, tail) = user.split_at(user.find(r#""content":""#).unwrap() + r#""content":""#.len());
    f.push_str(head);
    f.push_str(r#"{\"usage\": {\"input_tokens\": 999999}} "#);
    let big = jtext(&mut rng, BIG);
    f.push_str(&big[1..big.len() - 1]);
    f.push_str(tail);
    let resp = s.response(&mut rng, 1, &mut exp);
    let c0 = resp.find(r#""content":["#).unwrap() + r#""content":["#.len();
    let c1 = resp.find(r#"],"stop_reason""#).unwrap();
    f.push_str(&resp[..c0]);
    f.push_str(r#"{"type":"text","text":"#);
    f.push_str(&jtext(&mut rng, BIG));
    f.push('}');
    f.push_str(&resp[c1..]);
    f.push_str(&s.turns(&mut rng, 2, &mut exp));
    assert!(f.len() > 2 * BIG);
    write(&claude_path(&home, "-home-dev-p", &s.session), f.as_bytes());

    let mut r = CodexRollout::new(&mut rng, "/home/dev/api", T0_MS);
    let mut f = r.header(&mut rng) + &r.turns(&mut rng, 1, &mut exp);
    f.push_str(&format!(
        r#"{{"timestamp":"{}","type":"response_item","payload":{{"type":"function_call_output","call_id":"call_1","output":{}}}}}"#,
        ts(r.ts_ms + 1),
        jtext(&mut rng, BIG)
    ));
    f.push('\n');
    f.push_str(&r.turns(&mut rng, 2, &mut exp));
    write(&r.path(&home), f.as_bytes());

    // Run it, sampling its peak resident memory (VmHWM) from /proc while it runs.
    let dir = tempfile::tempdir().unwrap();
    let (out_p, err_p) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cmd(&home, &data, &["daily", "--json"])
        .stdout(std::fs::File::create(&out_p).unwrap())
        .stderr(std::fs::File::create(&err_p).unwrap())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = s.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak_kb = peak_kb.max(kb.trim().trim_end_matches("kB").trim().parse().unwrap_or(0));
            }
        }
        assert!(started.elapsed() < GUARD, "hung on 50 MB lines");
        std::thread::sleep(Duration::from_millis(2));
    };
    let (stdout, stderr) = (std::fs::read(&out_p).unwrap(), std::fs::read_to_string(&err_p).unwrap());
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"));
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(sums_of(&v), exp, "usage around and on 50 MB lines");
    eprintln!("peak RSS seen: {} MB", peak_kb >> 10);
    // Not absurd: well under 1 GiB for three 50 MB lines (0 where there is no /proc).
    assert!(peak_kb < 1 << 20, "peak resident memory {} MB", peak_kb >> 10);
    assert!(sources(&home, &data).values().all(|s| s.2 == 0));
}

// ---------------------------------------------------------------------------------------------
// Flags

#[test]
fn usage_errors_exit_2_and_touch_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    small_home(&mut Rng::new(11), &home);
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["frobnicate", "--data-dir", d], "frobnicate"),
        (&["daily", "--no-such-flag", "--data-dir", d], "--no-such-flag"),
        (
            &["daily", "--timezone", "Mars/Olympus", "--data-dir", d],
            "'Mars/Olympus' is not an IANA time zone",
        ),
        (&["daily", "--since", "2026-13-01", "--data-dir", d], "'2026-13-01' is not a date"),
        (&["daily", "--until", "yesterday", "--data-dir", d], "'yesterday' is not a date"),
        (
            &["daily", "--since", "2026-03-05", "--until", "2026-03-01", "--data-dir", d],
            "--since 2026-03-05 is after --until 2026-03-01",
        ),
        (
            &["daily", "--source", "windsurf", "--data-dir", d],
            "unknown source 'windsurf' (known: claude-code, codex, gemini-cli,",
        ),
    ];
    for (args, needle) in cases {
        let o = run_guarded(cmd_raw(&home, args), GUARD, &format!("{args:?}"));
        expect_fail(&o, 2, &[needle], &format!("{args:?}"));
        assert!(o.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(!data.exists(), "{args:?} created the data dir");
    }
    for ok in [&["--help"][..], &["--version"], &["daily", "--help"]] {
        let o = cmd_raw(&home, ok).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{ok:?}: {}", stderr_of(&o));
        assert!(!o.stdout.is_empty());
    }
}

/// Any other error (here a config.toml that is not TOML) exits 1, naming the file. Nothing is
/// scanned while the file cannot be read (it says which sources are turned off); once it is
/// mended, everything is counted.
#[test]
fn bad_config_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let built = small_home(&mut Rng::new(12), &home);
    let data = tmp.path().join("data");
    write(&data.join("config.toml"), b"[prices\nthis is = not toml");
    let o = run(&home, &data, &["daily", "--json"]);
    expect_fail(&o, 1, &["config.toml"], "bad config.toml");
    assert!(committed_files(&data) <= 0, "nothing scanned while the config is unreadable");
    std::fs::remove_file(data.join("config.toml")).unwrap();
    assert_eq!(sums_of(&daily(&home, &data, false)), built.exp);
}
