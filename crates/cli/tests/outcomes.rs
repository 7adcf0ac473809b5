//! `tokenworth tag`, `session --json` and `outcomes --json` through the real binary: a fake home
//! of Claude Code logs whose sessions ran in a real git repository, tags that round-trip and
//! survive rescans, rewritten logs and reopening, and bad input refused with exit code 2 and
//! nothing stored.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;
const MIN: i64 = 60_000;
const MODEL: &str = "tw-cli-model";

fn line(session: &str, cwd: &Path, msg: &str, at: i64, input: u64, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"{session}","cwd":"{}","gitBranch":"main","requestId":"r-{msg}","timestamp":"{}","message":{{"id":"{msg}","model":"{MODEL}","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
        cwd.display(),
        ts(at)
    ) + "\n"
}

fn git(home: &Path, dir: &Path, args: &[&str], date_ms: Option<i64>) -> String {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).args(args).env("HOME", home).env("GIT_CONFIG_NOSYSTEM", "1");
    if let Some(ms) = date_ms {
        let d = format!("{} +0000", ms / 1000);
        c.env("GIT_AUTHOR_DATE", &d).env("GIT_COMMITTER_DATE", &d);
    }
    let o = c.output().expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

struct Setup {
    _tmp: tempfile::TempDir,
    home: std::path::PathBuf,
    data: std::path::PathBuf,
    log: std::path::PathBuf,
    hash: String,
}

/// Sessions `aaaa-1` (in the repo, a commit during it, $2), `aaaa-2` ($0.50) and `bbbb-3`
/// ($6, no commits) at $1/M input and $10/M output.
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
    std::fs::write(repo.join("a.txt"), "one\ntwo\n").unwrap();
    git(&home, &repo, &["add", "a.txt"], None);
    git(&home, &repo, &["commit", "-q", "-m", "Add a"], Some(T + 5 * MIN));
    let hash = git(&home, &repo, &["rev-parse", "HEAD"], None);
    let dir = home.join(".claude/projects/-repo");
    let log = dir.join("aaaa-1.jsonl");
    write(
        &log,
        (line("aaaa-1", &repo, "m1", T, 1_000_000, 0)
            + &line("aaaa-1", &repo, "m2", T + 10 * MIN, 0, 100_000))
            .as_bytes(),
    );
    write(&dir.join("aaaa-2.jsonl"), line("aaaa-2", &repo, "m3", T + 120 * MIN, 500_000, 0).as_bytes());
    let other = root.join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    write(
        &dir.join("bbbb-3.jsonl"),
        line("bbbb-3", &other, "m4", T + 240 * MIN, 1_000_000, 500_000).as_bytes(),
    );
    write(
        &data.join("config.toml"),
        format!("[pricing.models.\"{MODEL}\"]\ninput = 1.0\noutput = 10.0\n").as_bytes(),
    );
    Setup { _tmp: tmp, home, data, log, hash }
}

fn sessions(s: &Setup) -> Vec<Value> {
    json_of(&run_ok(&s.home, &s.data, &["session", "--json"]))["sessions"].as_array().unwrap().clone()
}

fn by_id<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter().find(|r| r["session_id"] == id).unwrap_or_else(|| panic!("no {id}: {rows:#?}"))
}

fn run(s: &Setup, args: &[&str]) -> Output {
    cmd(&s.home, &s.data, args).output().expect("run tokenworth")
}

fn expect_usage_error(o: &Output, needles: &[&str], what: &str) {
    let err = stderr_of(o);
    assert_eq!(o.status.code(), Some(2), "{what}: exit code; stderr:\n{err}");
    assert!(!err.contains("panicked"), "{what}: panicked:\n{err}");
    for n in needles {
        assert!(err.contains(n), "{what}: stderr lacks {n:?}:\n{err}");
    }
    assert!(o.stdout.is_empty(), "{what}: printed {}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn sessions_carry_commits_suggestions_and_tags_that_round_trip() {
    let s = setup();
    let rows = sessions(&s);
    assert_eq!(rows.len(), 3);
    let a = by_id(&rows, "aaaa-1");
    for key in [
        "source",
        "project",
        "start",
        "end",
        "requests",
        "models",
        "input_tokens",
        "cache_creation_tokens",
        "cache_read_tokens",
        "output_tokens",
        "reasoning_tokens",
        "total_tokens",
        "cost_usd",
        "unpriced_tokens",
        "outcome",
        "note",
        "link",
        "commits",
        "suggested_outcome",
        "git_branch",
        "active_seconds",
        "parent",
        "idle_burn",
    ] {
        assert!(a.get(key).is_some(), "session row lacks {key}: {a:#}");
    }
    assert_eq!(a["commits"][0]["hash"], s.hash.as_str());
    assert_eq!(a["commits"][0]["message"], "Add a");
    assert_eq!(
        (a["commits"][0]["lines_added"].as_u64(), a["commits"][0]["lines_removed"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(a["suggested_outcome"], "shipped");
    assert_eq!(a["outcome"], Value::Null);
    assert_eq!(a["active_seconds"], 600);
    assert_eq!(a["git_branch"], "main");
    assert!((a["cost_usd"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert_eq!(by_id(&rows, "bbbb-3")["idle_burn"], true);
    assert_eq!(by_id(&rows, "aaaa-2")["idle_burn"], false);

    // Tag two sessions in one call, by unique prefixes.
    let o = run_ok(
        &s.home,
        &s.data,
        &[
            "tag",
            "aaaa-1",
            "bbbb",
            "shipped",
            "--note",
            "merged",
            "--link",
            "https://github.com/o/r/pull/7",
            "--json",
        ],
    );
    assert_eq!(json_of(&o), serde_json::json!({"tagged": 2}));
    let rows = sessions(&s);
    let a = by_id(&rows, "aaaa-1");
    assert_eq!((a["outcome"].as_str(), a["note"].as_str()), (Some("shipped"), Some("merged")));
    assert_eq!(a["link"], "https://github.com/o/r/pull/7");
    assert_eq!(a["suggested_outcome"], Value::Null);
    assert_eq!(by_id(&rows, "bbbb-3")["idle_burn"], false, "a tagged session is no idle burn");

    // The tag survives a rescan of a rewritten (shorter) log and reopening the ledger.
    std::fs::write(&s.log, line("aaaa-1", Path::new("/gone"), "m9", T + 11 * MIN, 5, 5)).unwrap();
    run_ok(&s.home, &s.data, &["scan"]);
    std::fs::remove_file(&s.log).unwrap();
    let rows = sessions(&s);
    let a = by_id(&rows, "aaaa-1");
    assert_eq!((a["outcome"].as_str(), a["requests"].as_u64()), (Some("shipped"), Some(3)));
    assert_eq!(a["commits"][0]["hash"], s.hash.as_str(), "commits found before are kept");

    let table = run_ok(&s.home, &s.data, &["session"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("shipped") && text.contains("aaaa-1"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");

    // Clearing.
    let o = run_ok(&s.home, &s.data, &["tag", "--clear", "bbbb-3"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "cleared 1 session");
    assert_eq!(by_id(&sessions(&s), "bbbb-3")["outcome"], Value::Null);
}

#[test]
fn bad_tag_input_is_a_usage_error_and_stores_nothing() {
    let s = setup();
    run_ok(&s.home, &s.data, &["tag", "aaaa-2", "explored", "--note", "first"]);
    let before = sessions(&s);
    let note_file = s.data.join("note.txt");
    write(&note_file, "n".repeat(1 << 20).as_bytes());
    let note_file = note_file.display().to_string();
    let long_note = "x".repeat(100_000);
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["tag", "zzzz", "shipped"], vec!["zzzz", "no session"]),
        (vec!["tag", "aaaa-1", "zzzz", "shipped"], vec!["zzzz"]),
        (vec!["tag", "aaaa", "shipped"], vec!["aaaa-1", "aaaa-2", "several"]),
        (vec!["tag", "aaaa-1", "great"], vec!["great", "shipped, fixed, explored, abandoned, wasted"]),
        (vec!["tag", "aaaa-1", "shipped", "--note-file", &note_file], vec!["note file", "10000 characters"]),
        (vec!["tag", "aaaa-1", "shipped", "--note", &long_note], vec!["100000 characters", "10000"]),
        (vec!["tag", "aaaa-1", "shipped", "--link", "pull 7"], vec!["not an http(s) URL"]),
        (vec!["tag", "aaaa-1", "shipped", "--link", "file:///etc/passwd"], vec!["scheme 'file'"]),
        (vec!["tag", "shipped"], vec!["no session id"]),
        (vec!["tag", "--clear", "aaaa-2", "nope"], vec!["nope"]),
        (vec!["tag"], vec!["required"]),
        (vec!["tag", "--clear", "aaaa-2", "--note", "x"], vec!["cannot be used"]),
    ];
    for (args, needles) in cases {
        let o = run(&s, &args);
        expect_usage_error(&o, &needles, &format!("{:?}", &args[..args.len().min(4)]));
    }
    assert_eq!(sessions(&s), before, "nothing was stored");
    assert_eq!(by_id(&before, "aaaa-2")["note"], "first");
}

#[test]
fn outcomes_json_contract() {
    let s = setup();
    run_ok(&s.home, &s.data, &["tag", "aaaa-1", "shipped"]);
    run_ok(&s.home, &s.data, &["tag", "aaaa-2", "wasted"]);
    let v = json_of(&run_ok(&s.home, &s.data, &["outcomes", "--json"]));
    let names: Vec<&str> =
        v["outcomes"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(names, ["shipped", "fixed", "explored", "abandoned", "wasted"]);
    let shipped = &v["outcomes"][0];
    assert_eq!((shipped["sessions"].as_u64(), shipped["commits"].as_u64()), (Some(1), Some(1)));
    assert!((shipped["cost_usd"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert!((v["outcomes"][4]["cost_usd"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    assert_eq!(
        v["outcomes"][1],
        serde_json::json!({"outcome":"fixed","sessions":0,"cost_usd":0.0,"commits":0,"total_tokens":0,"unpriced_tokens":0})
    );
    assert_eq!(v["untagged"]["sessions"], 1);
    assert!((v["untagged"]["cost_usd"].as_f64().unwrap() - 6.0).abs() < 1e-9);
    assert!((v["cost_per_shipped_session"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert!((v["cost_per_commit"].as_f64().unwrap() - 8.5).abs() < 1e-9);
    assert!((v["untagged_share"].as_f64().unwrap() - 6.0 / 8.5).abs() < 1e-9);
    assert!((v["wasted_share"].as_f64().unwrap() - 0.5 / 8.5).abs() < 1e-9);
    assert_eq!(v["review"][0]["session_id"], "bbbb-3");
    assert_eq!(v["idle_burn"][0]["session_id"], "bbbb-3");
    // The table prints, and the period filter applies.
    let table = run_ok(&s.home, &s.data, &["outcomes"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("shipped") && text.contains("Idle burn") && text.contains("bbbb-3"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    let empty = json_of(&run_ok(&s.home, &s.data, &["outcomes", "--json", "--since", "2026-03-03"]));
    assert_eq!(empty["total"]["sessions"], 0);
}
