//! Budgets (`budget list/set/remove`), the active window's burn rate (`blocks --active`) and the
//! Claude Code status line (`statusline`), on real logs in a temp home and a real ledger.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

/// Now, and a time today (UTC) a few minutes before it, from which a session's requests run.
fn today_start() -> (i64, i64) {
    let now = chrono::Utc::now().timestamp_millis();
    let midnight = now - now.rem_euclid(86_400_000);
    (now, (now - 10 * 60_000).max(midnight + 1_000))
}

/// A Claude Code session in `project` with `turns` responses from `start_ms`, spaced tightly so
/// that all of them are before now. Returns its id and file.
fn session(home: &Path, rng: &mut Rng, project: &str, start_ms: i64, turns: usize) -> (String, PathBuf) {
    let (id, path, _) = session_at(home, rng, project, start_ms, turns);
    (id, path)
}

/// [`session`], with the time of its first request.
fn session_at(
    home: &Path,
    rng: &mut Rng,
    project: &str,
    start_ms: i64,
    turns: usize,
) -> (String, PathBuf, i64) {
    let mut exp = Expected::new();
    let mut s = ClaudeSession::new(rng, &format!("/work/{project}"), start_ms);
    let mut text = String::new();
    for _ in 0..turns {
        // Responses only (no tool output lines), each at most a few seconds after the last.
        text.push_str(&s.response(rng, 1, &mut exp));
    }
    let path = claude_path(home, &format!("-work-{project}"), &s.session);
    write(&path, text.as_bytes());
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let first = chrono::DateTime::parse_from_rfc3339(first["timestamp"].as_str().unwrap()).unwrap();
    (s.session, path, first.timestamp_millis())
}

fn cost_of_today(home: &Path, data: &Path) -> f64 {
    let d = json_of(&run_ok(home, data, &["daily", "--json", "--no-scan"]));
    d["total"]["cost_usd"].as_f64().unwrap()
}

#[test]
fn budgets_are_set_listed_and_removed_with_their_spend() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, data) = (tmp.path().join("home"), tmp.path().join("data"));
    let mut rng = Rng::new(0xB0D6);
    let (_, start) = today_start();
    session(&home, &mut rng, "api", start, 6);
    session(&home, &mut rng, "web", start, 4);
    run_ok(&home, &data, &["scan"]);
    let all = cost_of_today(&home, &data);
    assert!(all > 0.0);

    let o = run_ok(&home, &data, &["budget", "--json"]);
    assert_eq!(json_of(&o), serde_json::json!({ "budgets": [] }));

    run_ok(&home, &data, &["budget", "set", "daily", "1000"]);
    run_ok(&home, &data, &["budget", "set", "weekly", "$50", "--source", "claude-code"]);
    run_ok(&home, &data, &["budget", "set", "monthly", "0.01", "--project", "api"]);
    // Setting one again replaces its limit.
    run_ok(&home, &data, &["budget", "set", "daily", "2000"]);

    let v = json_of(&run_ok(&home, &data, &["budget", "list", "--json"]));
    let b = v["budgets"].as_array().unwrap();
    assert_eq!(b.len(), 3, "{v}");
    let keys: Vec<&str> = b[0].as_object().unwrap().keys().map(String::as_str).collect();
    let mut want =
        vec!["period", "limit_usd", "source", "project", "spent_usd", "used_share", "projected_usd"];
    want.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, want);

    assert_eq!((b[0]["period"].as_str(), b[0]["limit_usd"].as_f64()), (Some("daily"), Some(2000.0)));
    assert_eq!((b[0]["source"].clone(), b[0]["project"].clone()), (Value::Null, Value::Null));
    let spent = b[0]["spent_usd"].as_f64().unwrap();
    assert!((spent - all).abs() <= 1e-9 * all, "daily budget {spent} vs daily report {all}");
    assert!((b[0]["used_share"].as_f64().unwrap() - spent / 2000.0).abs() < 1e-12);
    assert!(b[0]["projected_usd"].as_f64().unwrap() >= spent);

    assert_eq!(b[1]["source"], "claude-code");
    assert!((b[1]["spent_usd"].as_f64().unwrap() - all).abs() <= 1e-9 * all, "all of it is Claude Code");

    assert_eq!(b[2]["project"], "api");
    let api = json_of(&run_ok(&home, &data, &["daily", "--json", "--no-scan", "--project", "api"]));
    let api = api["total"]["cost_usd"].as_f64().unwrap();
    assert!(api > 0.0 && api < all);
    assert!((b[2]["spent_usd"].as_f64().unwrap() - api).abs() <= 1e-9 * api);
    assert!(b[2]["used_share"].as_f64().unwrap() > 1.0, "over its $0.01");

    let table = String::from_utf8(run_ok(&home, &data, &["budget"]).stdout).unwrap();
    assert!(
        table.contains("daily") && table.contains("project api") && table.contains("$2000.00"),
        "{table}"
    );

    let config = std::fs::read_to_string(data.join("config.toml")).unwrap();
    assert_eq!(config.matches("[[budgets]]").count(), 3, "{config}");

    run_ok(&home, &data, &["budget", "remove", "weekly", "--source", "claude-code"]);
    let v = json_of(&run_ok(&home, &data, &["budget", "--json"]));
    let periods: Vec<&str> =
        v["budgets"].as_array().unwrap().iter().map(|b| b["period"].as_str().unwrap()).collect();
    assert_eq!(periods, ["daily", "monthly"]);
}

#[test]
fn bad_budgets_are_refused_and_config_is_left_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, data) = (tmp.path().join("home"), tmp.path().join("data"));
    let mut rng = Rng::new(0xBAD6);
    let (_, start) = today_start();
    session(&home, &mut rng, "api", start, 2);
    run_ok(&home, &data, &["scan"]);
    let config = "# my settings\n[[budgets]] # the one I want\nperiod = \"daily\"\nlimit_usd = 5.0\n";
    std::fs::write(data.join("config.toml"), config).unwrap();
    for (args, says) in [
        (&["budget", "set", "daily", "-5"][..], "more than $0"),
        (&["budget", "set", "daily", "0"][..], "more than $0"),
        (&["budget", "set", "daily", "abc"][..], "not an amount"),
        (&["budget", "set", "daily", "NaN"][..], "not an amount"),
        (&["budget", "set", "yearly", "5"][..], "not a period"),
        (&["budget", "remove", "fortnightly"][..], "not a period"),
        (&["budget", "set", "daily", "5", "--source", "nope"][..], "unknown source 'nope'"),
        (&["budget", "set", "daily", "5", "--project", "nowhere"][..], "unknown project 'nowhere'"),
        (&["budget", "remove", "monthly"][..], "no monthly budget"),
        (&["budget", "set", "daily"][..], "USD"),
    ] {
        let o = cmd(&home, &data, args).output().unwrap();
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(std::fs::read_to_string(data.join("config.toml")).unwrap(), config, "{args:?}");
    }
    // A project is known by its last path component or its directory.
    run_ok(&home, &data, &["budget", "set", "weekly", "7", "--project", "/work/api"]);
    let after = std::fs::read_to_string(data.join("config.toml")).unwrap();
    assert!(after.starts_with(config), "{after}");
}

#[test]
fn the_active_window_has_its_burn_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, data) = (tmp.path().join("home"), tmp.path().join("data"));
    let mut rng = Rng::new(0xB042);
    // Only an old window: nothing is active.
    session(&home, &mut rng, "old", T0_MS, 3);
    let v = json_of(&run_ok(&home, &data, &["blocks", "--active", "--json"]));
    assert_eq!(v, serde_json::json!({ "blocks": [] }));

    let (now, start) = today_start();
    let (_, _, first) = session_at(&home, &mut rng, "api", start, 5);
    let v = json_of(&run_ok(&home, &data, &["blocks", "--active", "--json"]));
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 1, "{v}");
    let b = &blocks[0];
    assert_eq!(b["active"], true);
    // The same object as in `blocks --json`, plus the burn.
    let all = json_of(&run_ok(&home, &data, &["blocks", "--json", "--no-scan"]));
    let mut same = all["blocks"].as_array().unwrap().last().unwrap().clone();
    same["burn"] = b["burn"].clone();
    assert_eq!(b, &same);

    let cost = b["total"]["cost_usd"].as_f64().unwrap();
    let tokens = b["total"]["total_tokens"].as_f64().unwrap();
    let burn = &b["burn"];
    let (per_hour, per_minute, projected) = (
        burn["cost_per_hour"].as_f64().unwrap(),
        burn["tokens_per_minute"].as_f64().unwrap(),
        burn["projected_cost_usd"].as_f64().unwrap(),
    );
    // Over the time from the first request to the run's now: between the test's clock before
    // and after the run.
    let after = chrono::Utc::now().timestamp_millis();
    let hours = |t: i64| ((t - first).max(60_000)) as f64 / 3_600_000.0;
    let within = |x: f64, lo: f64, hi: f64| x >= lo * (1.0 - 1e-9) && x <= hi * (1.0 + 1e-9);
    assert!(within(per_hour, cost / hours(after), cost / hours(now)), "{burn} {cost}");
    assert!(within(per_minute, tokens / (hours(after) * 60.0), tokens / (hours(now) * 60.0)), "{burn}");
    assert!(projected >= cost && projected <= cost + per_hour * 5.0, "{burn}");
}

/// `tokenworth statusline` with `input` on standard input (`None`: no input at all).
fn statusline(home: &Path, data: &Path, input: Option<&str>) -> (String, std::process::Output) {
    let mut c: Command = cmd(home, data, &["statusline"]);
    let dir = tempfile::tempdir().unwrap();
    let stdin = dir.path().join("in");
    if let Some(i) = input {
        std::fs::File::create(&stdin).unwrap().write_all(i.as_bytes()).unwrap();
        c.stdin(std::fs::File::open(&stdin).unwrap());
    } else {
        c.stdin(Stdio::null());
    }
    let o = run_guarded(c, Duration::from_secs(30), "statusline");
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(out.lines().count(), 1, "one line: {out:?}");
    assert!(!out.trim().is_empty());
    (out.trim_end().to_owned(), o)
}

fn claude_input(session: &str, transcript: &Path) -> String {
    serde_json::json!({
        "hook_event_name": "Status",
        "session_id": session,
        "transcript_path": transcript,
        "cwd": "/work/api",
        "model": {"id": "claude-sonnet-4-5-20250929", "display_name": "Sonnet 4.5"},
        "workspace": {"current_dir": "/work/api", "project_dir": "/work/api"},
        "version": "2.1.40"
    })
    .to_string()
}

#[test]
fn the_status_line_reads_its_own_session_and_always_prints_a_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, data) = (tmp.path().join("home"), tmp.path().join("data"));
    let mut rng = Rng::new(0x57A7);
    let (_, start) = today_start();
    let (id, path) = session(&home, &mut rng, "api", start, 4);
    // Another session's log, not named on the input: left for the next scan.
    let (other, _) = session(&home, &mut rng, "web", start, 3);
    run_ok(&home, &data, &["budget", "set", "daily", "1000"]);

    let (line, _) = statusline(&home, &data, Some(&claude_input(&id, &path)));
    let sessions = json_of(&run_ok(&home, &data, &["session", "--json", "--no-scan"]));
    let rows = sessions["sessions"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "only the named session's log was read: {sessions}");
    assert_eq!(rows[0]["session_id"], id.as_str());
    let cost = rows[0]["cost_usd"].as_f64().unwrap();
    let today = cost_of_today(&home, &data);
    let left = 1000.0 - today;
    for part in
        [format!("${cost:.2} session"), format!("${today:.2} today"), format!("${left:.2} daily left")]
    {
        assert!(line.contains(&part), "{line:?} lacks {part:?}");
    }
    assert!(line.contains("/h"), "the active window's burn: {line:?}");

    // What a later scan finds of the other session is then in today's spend, once.
    run_ok(&home, &data, &["scan"]);
    let both = cost_of_today(&home, &data);
    assert!(both > today);
    let (line, _) = statusline(&home, &data, Some(&claude_input(&other, Path::new("/nowhere/x.jsonl"))));
    assert!(line.contains(&format!("${both:.2} today")), "{line:?}");

    // Bad input: still one line and exit 0.
    for input in [None, Some(""), Some("{not json"), Some("[1,2]"), Some("{\"session_id\": 7}")] {
        let (line, o) = statusline(&home, &data, input);
        assert!(line.contains("today"), "{input:?}: {line:?}");
        assert!(!stderr_of(&o).contains("panicked"));
    }
    let (line, _) = statusline(&home, &data, Some(&claude_input("no-such-session", &path)));
    assert!(line.contains("new session") && line.contains("today"), "{line:?}");

    // No ledger yet: a line that says so.
    let (line, _) = statusline(&home, &tmp.path().join("empty"), None);
    assert!(line.contains("no usage recorded yet"), "{line:?}");
}

#[test]
fn the_status_line_does_not_wait_for_a_locked_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, data) = (tmp.path().join("home"), tmp.path().join("data"));
    let mut rng = Rng::new(0x10C4);
    let (_, start) = today_start();
    let (id, path) = session(&home, &mut rng, "api", start, 3);
    run_ok(&home, &data, &["scan"]);
    let before = cost_of_today(&home, &data);
    // More of the session, while another process holds the write lock.
    let mut s = ClaudeSession::new(&mut rng, "/work/api", start);
    s.session = id.clone();
    append(&path, s.response(&mut rng, 1, &mut Expected::new()).as_bytes());
    let lock = rusqlite::Connection::open(db_path(&data)).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (line, _) = statusline(&home, &data, Some(&claude_input(&id, &path)));
    assert!(line.contains("(ledger busy)"), "{line:?}");
    assert!(line.contains(&format!("${before:.2} today")), "what is stored: {line:?}");
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    // Then the next one reads it.
    let (line, _) = statusline(&home, &data, Some(&claude_input(&id, &path)));
    assert!(!line.contains("busy"), "{line:?}");
    assert!(cost_of_today(&home, &data) > before);
}
