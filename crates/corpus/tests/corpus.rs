//! Checks the generated files themselves: every trap shows up when enabled and
//! not when disabled, files are newline-terminated JSON lines, generation is
//! deterministic, and expected.json is internally consistent.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fs,
    path::{Path, PathBuf},
};

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use tokenworth_corpus::{generate, Config, Expected, Traps, CLAUDE, CODEX, ZONES};

fn config(traps: Traps, seed: u64) -> Config {
    Config { size_bytes: 1_000_000, seed, traps, ..Config::default() }
}

fn files(home: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(home, &mut out);
    out.sort();
    out
}

/// Which trap signatures are present in a corpus, found by reading the files.
#[derive(Debug, Default)]
struct Scan {
    found: BTreeSet<&'static str>,
    invalid_lines: u64,
    all_newline_terminated: bool,
    usage_timestamps: Vec<DateTime<Utc>>,
}

fn ts(v: &Value) -> Option<DateTime<Utc>> {
    v.get("timestamp")?.as_str()?.parse().ok()
}

fn scan(home: &Path) -> Scan {
    let mut s = Scan { all_newline_terminated: true, ..Scan::default() };
    // (message id, request id) -> files (with repetition)
    let mut claude_keys: HashMap<(String, Option<String>), Vec<PathBuf>> = HashMap::new();
    // message id -> (sidechain?, request id)
    let mut by_msg: HashMap<String, Vec<(bool, Option<String>)>> = HashMap::new();
    for path in files(home) {
        let data = fs::read(&path).unwrap();
        if !data.ends_with(b"\n") {
            s.all_newline_terminated = false;
        }
        let rel = path.strip_prefix(home).unwrap().to_string_lossy().to_string();
        if rel.starts_with(".codex/archived_sessions/") {
            s.found.insert("codex_archived");
        }
        let mut prev_total: Option<Value> = None;
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() && i > 0 {
                continue;
            }
            let Ok(v) = serde_json::from_slice::<Value>(line) else {
                s.invalid_lines += 1;
                continue;
            };
            let ty = v["type"].as_str().unwrap_or("");
            if rel.starts_with(".codex/") {
                let payload = &v["payload"];
                match ty {
                    "session_meta" if payload.get("forked_from_id").is_some() => {
                        s.found.insert("codex_fork");
                    }
                    "turn_context" if payload.get("model").is_none() => {
                        s.found.insert("codex_no_model");
                    }
                    "event_msg" if payload["type"] == "token_count" => {
                        if payload["info"].is_null() {
                            s.found.insert("codex_info_null");
                            continue;
                        }
                        let total = payload["info"]["total_token_usage"].clone();
                        if prev_total.as_ref() == Some(&total) {
                            s.found.insert("codex_reemit");
                        }
                        prev_total = Some(total);
                        s.usage_timestamps.extend(ts(&v));
                    }
                    _ => {}
                }
            } else if ty == "assistant" {
                let msg = &v["message"];
                let id = msg["id"].as_str().unwrap().to_string();
                let req = v.get("requestId").and_then(Value::as_str).map(str::to_string);
                if msg["model"] == "<synthetic>" {
                    s.found.insert("claude_synthetic");
                    continue;
                }
                if req.is_none() {
                    s.found.insert("claude_no_request_id");
                }
                let side = v["isSidechain"].as_bool().unwrap();
                claude_keys.entry((id.clone(), req.clone())).or_default().push(path.clone());
                by_msg.entry(id).or_default().push((side, req));
                s.usage_timestamps.extend(ts(&v));
            }
        }
    }
    for paths in claude_keys.values() {
        let distinct: BTreeSet<_> = paths.iter().collect();
        if distinct.len() < paths.len() {
            s.found.insert("claude_multiline");
        }
        let main_files = distinct.iter().filter(|p| !p.to_string_lossy().contains("/subagents/")).count();
        if main_files >= 2 {
            s.found.insert("claude_resume_copy");
        }
    }
    for lines in by_msg.values() {
        let side: BTreeSet<_> = lines.iter().filter(|l| l.0).map(|l| &l.1).collect();
        let main: BTreeSet<_> = lines.iter().filter(|l| !l.0).map(|l| &l.1).collect();
        if !side.is_empty() && !main.is_empty() && side.is_disjoint(&main) {
            s.found.insert("claude_sidechain_replay");
        }
    }
    if s.invalid_lines > 0 {
        s.found.insert("broken_lines");
    }
    s
}

fn run(cfg: &Config) -> (tempfile::TempDir, Expected, Scan) {
    let dir = tempfile::tempdir().unwrap();
    let exp = generate(cfg, dir.path()).unwrap();
    let s = scan(dir.path());
    (dir, exp, s)
}

#[test]
fn every_trap_shows_alone_and_only_when_enabled() {
    let (_d, exp, s) = run(&config(Traps::none(), 5));
    assert!(s.found.is_empty(), "no traps enabled but found {:?}", s.found);
    assert!(s.all_newline_terminated);
    assert_eq!(exp.trap_lines.values().sum::<u64>(), 0);
    for name in Traps::NAMES {
        let mut traps = Traps::none();
        traps.set(name, true).unwrap();
        let (_d, exp, s) = run(&config(traps, 5));
        let expected: BTreeSet<&str> = [name].into();
        assert_eq!(s.found, expected, "only {name} enabled");
        assert!(exp.trap_lines[name] > 0, "{name} reports no trap lines");
        assert!(s.all_newline_terminated, "{name}: a file lacks its final newline");
    }
}

#[test]
fn all_traps_together() {
    let (dir, exp, s) = run(&config(Traps::all(), 9));
    let all: BTreeSet<&str> = Traps::NAMES.into_iter().collect();
    assert_eq!(s.found, all);
    assert!(s.all_newline_terminated);
    // every line that fails strict parsing is accounted for in expected.json
    assert_eq!(s.invalid_lines, exp.skipped_lines.values().sum::<u64>());
    for source in [CLAUDE, CODEX] {
        let kinds = &exp.broken_lines[source];
        for kind in ["truncated", "garbage", "non_utf8"] {
            assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "{source} lacks {kind} lines");
        }
    }
    // claude projects under both roots
    assert!(dir.path().join(".config/claude/projects").is_dir());
    assert!(dir.path().join(".claude/projects").is_dir());
    assert!(files(dir.path()).iter().any(|p| p.to_string_lossy().contains("/subagents/agent-")));
}

#[test]
fn deterministic_for_a_seed() {
    let (a, ea, _) = run(&config(Traps::all(), 42));
    let (b, eb, _) = run(&config(Traps::all(), 42));
    let (c, ec, _) = run(&config(Traps::all(), 43));
    assert_eq!(ea, eb);
    assert_ne!(ea.zones, ec.zones);
    let rel = |home: &Path| -> BTreeMap<PathBuf, Vec<u8>> {
        files(home)
            .into_iter()
            .map(|p| (p.strip_prefix(home).unwrap().to_path_buf(), fs::read(&p).unwrap()))
            .collect()
    };
    assert!(rel(a.path()) == rel(b.path()), "same seed, different files");
    assert!(rel(a.path()) != rel(c.path()));
    assert_eq!(Expected::load(a.path()).unwrap(), ea);
}

#[test]
fn expected_is_consistent() {
    let cfg = config(Traps::all(), 3);
    let (_d, exp, s) = run(&cfg);
    assert_eq!(exp.zones.len(), ZONES.len());
    for zone in ZONES {
        let days = &exp.zones[zone].days;
        assert!(days.windows(2).all(|w| w[0].date < w[1].date), "{zone} days sorted");
        for source in [CLAUDE, CODEX] {
            let mut sum = 0;
            for d in days {
                if let Some(t) = d.sources.get(source) {
                    assert!(t.total_tokens > 0);
                    assert_eq!(
                        t.total_tokens,
                        t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens + t.output_tokens
                    );
                    sum += t.total_tokens;
                }
            }
            assert_eq!(sum, exp.totals[source].total_tokens, "{zone} {source}");
        }
    }
    assert_eq!(exp.totals[CLAUDE].reasoning_tokens, 0);
    assert_eq!(exp.totals[CODEX].cache_creation_tokens, 0);
    assert!(exp.totals[CODEX].reasoning_tokens > 0);
    let model_sum: u64 = exp.models.values().map(|t| t.total_tokens).sum();
    assert_eq!(model_sum, exp.totals[CLAUDE].total_tokens + exp.totals[CODEX].total_tokens);
    assert!(exp.models.contains_key("gpt-5"), "codex fallback model");
    assert!(exp.events[CLAUDE] > 0 && exp.events[CODEX] > 0);

    // Some usage lands within an hour of local midnight in every zone.
    for zone in ZONES {
        let tz: Tz = zone.parse().unwrap();
        let near = s.usage_timestamps.iter().any(|t| {
            let local = t.with_timezone(&tz);
            let date = local.date_naive();
            let next: NaiveDate = date.succ_opt().unwrap();
            let midnight = tz.from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap()).earliest().unwrap();
            (midnight.with_timezone(&Utc) - *t).num_minutes() < 60
        });
        assert!(near, "no usage within an hour before local midnight in {zone}");
    }
}

#[test]
fn cli_writes_a_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenworth-corpus"))
        .args(["--size", "500KB", "--seed", "2", "--days", "10", "--start", "2026-03-01"])
        .arg("--out")
        .arg(dir.path())
        .args(["--without", "codex_fork,broken_lines"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("wrote "), "{stdout}");
    let exp = Expected::load(dir.path()).unwrap();
    assert_eq!(exp.generator.days, 10);
    assert!(!exp.generator.traps.codex_fork && !exp.generator.traps.broken_lines);
    assert!(exp.generator.traps.codex_reemit);
    assert_eq!(exp.skipped_lines.values().sum::<u64>(), 0);
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_tokenworth-corpus"))
        .args(["--out", "x", "--without", "nope"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
