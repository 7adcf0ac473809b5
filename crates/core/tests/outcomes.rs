//! Outcomes against real parts: Claude Code and Codex logs written to a fake home and ingested
//! into a real SQLite file, real git repositories built in temp dirs with pinned commit dates.
//! Sessions (span, active time, branch, parent links), git linkage (window, grace, author,
//! subdirectories, vanished repos, missing git), tags (prefixes, limits, all-or-nothing,
//! surviving rescans and rewrites) and the worth-it report's numbers.

use std::path::{Path, PathBuf};
use std::process::Command;

use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::outcomes::{self, Outcome, TagError};
use tokenworth_core::report::{self, Filter, Pricer, SessionRow};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;
const MIN: i64 = 60_000;
const ME: &str = "me@example.com";
/// A model priced by the test: $1 per million input tokens, $10 per million output tokens.
const MODEL: &str = "tw-test-model";

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn table() -> PriceTable {
    let mut t = PriceTable::embedded();
    t.apply_overrides(&format!("[pricing.models.\"{MODEL}\"]\ninput = 1.0\noutput = 10.0\n")).unwrap();
    t
}

/// One Claude Code assistant line.
fn cl(session: &str, cwd: &Path, branch: &str, msg: &str, ts: i64, input: u64, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"{session}","cwd":"{}","gitBranch":"{branch}","uuid":"u-{msg}","parentUuid":null,"requestId":"r-{msg}","timestamp":"{}","message":{{"id":"{msg}","model":"{MODEL}","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
        cwd.display(),
        iso(ts)
    ) + "\n"
}

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    db: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        World { db: root.join("data/ledger.db"), home, root, _tmp: tmp }
    }

    /// The environment the ledger runs in: the fake home, and the PATH git is found on.
    fn env(&self) -> Env {
        Env::with_home(&self.home).set("PATH", std::env::var("PATH").unwrap_or_default())
    }

    fn claude_file(&self, session: &str) -> PathBuf {
        let dir = self.home.join(".claude/projects/-work");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(format!("{session}.jsonl"))
    }

    fn append(&self, path: &Path, text: &str) {
        use std::io::Write;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn scan(&self) -> Store {
        let mut store = Store::open(&self.db).unwrap();
        ingest::scan(&mut store, &self.env(), &source::all(), &ScanOptions::default()).unwrap();
        store
    }

    fn sessions(&self, store: &Store) -> Vec<SessionRow> {
        let t = table();
        report::sessions(store, &Pricer::new(&t), &Filter::new(chrono_tz::UTC)).unwrap().sessions
    }
}

fn find<'a>(rows: &'a [SessionRow], id: &str) -> &'a SessionRow {
    rows.iter().find(|s| s.session_id == id).unwrap_or_else(|| panic!("no session {id} in {rows:#?}"))
}

// ---------------------------------------------------------------------------------------------
// Real git repositories

/// Runs git for the test's own setup, isolated from the machine's config.
fn git(home: &Path, dir: &Path, args: &[&str], envs: &[(&str, String)]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn init_repo(home: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(home, dir, &["init", "-q", "-b", "main"], &[]);
    git(home, dir, &["config", "user.email", ME], &[]);
    git(home, dir, &["config", "user.name", "Me"], &[]);
}

/// Writes `lines` lines to `file` and commits at `at_ms` (author and committer date) as
/// `email`; returns the hash.
fn commit(home: &Path, repo: &Path, file: &str, lines: usize, at_ms: i64, email: &str, msg: &str) -> String {
    let body: String = (0..lines).map(|i| format!("line {i}\n")).collect();
    std::fs::write(repo.join(file), body).unwrap();
    git(home, repo, &["add", "--", file], &[]);
    let date = format!("{} +0000", at_ms / 1000);
    let envs = [
        ("GIT_AUTHOR_DATE", date.clone()),
        ("GIT_COMMITTER_DATE", date),
        ("GIT_AUTHOR_EMAIL", email.to_string()),
        ("GIT_COMMITTER_EMAIL", email.to_string()),
    ];
    git(home, repo, &["commit", "-q", "--no-verify", "-m", msg], &envs);
    git(home, repo, &["rev-parse", "HEAD"], &[])
}

fn hashes(s: &SessionRow) -> Vec<&str> {
    s.commits.iter().map(|c| c.hash.as_str()).collect()
}

#[test]
fn commits_in_the_window_by_the_repos_user_are_linked_and_kept() {
    let w = World::new();
    let repo = w.root.join("repo");
    init_repo(&w.home, &repo);
    let sub = repo.join("crates/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let plain = w.root.join("not-a-repo");
    std::fs::create_dir_all(&plain).unwrap();

    // Session a: T .. T+20m in the repo's root. Session b: T+3h .. T+3h10m in a subdirectory.
    // Session c: in a directory that is no repository.
    let fa = w.claude_file("sess-a");
    for (i, m) in [0, 10, 20].iter().enumerate() {
        w.append(&fa, &cl("sess-a", &repo, "feature/x", &format!("a{i}"), T + m * MIN, 1000, 100));
    }
    let fb = w.claude_file("sess-b");
    w.append(&fb, &cl("sess-b", &sub, "main", "b0", T + 180 * MIN, 1000, 100));
    w.append(&fb, &cl("sess-b", &sub, "main", "b1", T + 190 * MIN, 1000, 100));
    let fc = w.claude_file("sess-c");
    w.append(&fc, &cl("sess-c", &plain, "", "c0", T + 5 * MIN, 1000, 100));

    let before = commit(&w.home, &repo, "a.txt", 1, T - 60 * MIN, ME, "before the session");
    let inside = commit(&w.home, &repo, "a.txt", 4, T + 5 * MIN, ME, "inside");
    let other = commit(&w.home, &repo, "b.txt", 2, T + 6 * MIN, "someone@else.org", "another author");
    let grace = commit(&w.home, &repo, "c.txt", 3, T + 20 * MIN + 29 * MIN, ME, "in the grace window");
    let late = commit(&w.home, &repo, "d.txt", 1, T + 20 * MIN + 31 * MIN, ME, "after the grace window");
    let in_b = commit(&w.home, &repo, "crates/deep/e.txt", 7, T + 185 * MIN, ME, "from the subdirectory");
    // A commit on another branch counts too; the checkout is left on main.
    git(&w.home, &repo, &["checkout", "-q", "-b", "side"], &[]);
    let side = commit(&w.home, &repo, "f.txt", 1, T + 186 * MIN, ME, "on a side branch");
    git(&w.home, &repo, &["checkout", "-q", "main"], &[]);

    let store = w.scan();
    let link = outcomes::link_commits(&store, &w.env(), T + 86_400_000).unwrap();
    assert!(!link.git_missing);
    assert_eq!(link.sessions_checked, 3, "{link:?}");
    assert_eq!(link.repos, 1, "both sessions share one repository: one git log");
    assert!(link.warnings.is_empty(), "{:?}", link.warnings);

    let rows = w.sessions(&store);
    let a = find(&rows, "sess-a");
    assert_eq!(hashes(a), vec![inside.as_str(), grace.as_str()], "a: {:#?}", a.commits);
    for h in [&before, &other, &late, &in_b, &side] {
        assert!(!hashes(a).contains(&h.as_str()));
    }
    let c0 = &a.commits[0];
    assert_eq!(c0.message, "inside");
    // a.txt went from 1 line to 4: "line 0" kept, 3 added.
    assert_eq!((c0.files_changed, c0.lines_added, c0.lines_removed), (1, 3, 0));
    assert_eq!(c0.time, iso(T + 5 * MIN));
    assert_eq!(c0.repo, repo.display().to_string());
    assert_eq!(a.suggested_outcome, Some(Outcome::Shipped));
    assert_eq!(a.git_branch.as_deref(), Some("feature/x"));
    let b = find(&rows, "sess-b");
    assert_eq!(hashes(b), vec![in_b.as_str(), side.as_str()]);
    let c = find(&rows, "sess-c");
    assert!(c.commits.is_empty());
    assert_eq!(c.suggested_outcome, None);

    // Nothing is checked again while nothing changed.
    let again = outcomes::link_commits(&store, &w.env(), T + 86_400_000 + 10 * MIN).unwrap();
    assert_eq!(again.sessions_checked, 0, "{again:?}");

    // The repository vanishes, then session a goes on: it is checked again, finds no
    // repository, and keeps what was found before.
    std::fs::remove_dir_all(&repo).unwrap();
    w.append(&fa, &cl("sess-a", &repo, "feature/x", "a3", T + 25 * MIN, 1000, 100));
    drop(store);
    let store = w.scan();
    let link = outcomes::link_commits(&store, &w.env(), T + 2 * 86_400_000).unwrap();
    assert_eq!(link.sessions_checked, 1, "only the session whose end moved: {link:?}");
    let rows = w.sessions(&store);
    assert_eq!(hashes(find(&rows, "sess-a")), vec![inside.as_str(), grace.as_str()]);
    assert_eq!(hashes(find(&rows, "sess-b")), vec![in_b.as_str(), side.as_str()]);

    // A tag replaces the suggestion.
    outcomes::tag_sessions(&store, &["sess-a".into()], Outcome::Fixed, None, None, T).unwrap();
    let rows = w.sessions(&store);
    assert_eq!(find(&rows, "sess-a").outcome, Some(Outcome::Fixed));
    assert_eq!(find(&rows, "sess-a").suggested_outcome, None);
}

#[test]
fn an_open_window_is_checked_again_and_finds_later_commits() {
    let w = World::new();
    let repo = w.root.join("repo");
    init_repo(&w.home, &repo);
    let f = w.claude_file("live");
    w.append(&f, &cl("live", &repo, "main", "l0", T, 1000, 100));
    let store = w.scan();
    // Checked one minute after the only request: nothing committed yet.
    let first = outcomes::link_commits(&store, &w.env(), T + MIN).unwrap();
    assert_eq!(first.sessions_checked, 1);
    assert!(find(&w.sessions(&store), "live").commits.is_empty());
    let h = commit(&w.home, &repo, "x.txt", 2, T + 10 * MIN, ME, "later");
    // Within the recheck interval: not run again.
    let soon = outcomes::link_commits(&store, &w.env(), T + MIN + 1000).unwrap();
    assert_eq!(soon.sessions_checked, 0);
    // The window (end + 30 min) was open at the last check: checked again, commit found.
    let later = outcomes::link_commits(&store, &w.env(), T + 40 * MIN).unwrap();
    assert_eq!(later.sessions_checked, 1);
    assert_eq!(hashes(find(&w.sessions(&store), "live")), vec![h.as_str()]);
    // Now the window had closed at the last check: final.
    let last = outcomes::link_commits(&store, &w.env(), T + 80 * MIN).unwrap();
    assert_eq!(last.sessions_checked, 0);
}

/// The sessions the linker will look at (`link_due`), by id.
fn link_due(store: &Store) -> Vec<String> {
    store
        .conn()
        .prepare("SELECT session_id FROM link_due ORDER BY session_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn only_new_and_moved_sessions_are_candidates_and_a_final_check_leaves_the_list() {
    let w = World::new();
    let repo = w.root.join("repo");
    init_repo(&w.home, &repo);
    let elsewhere = w.root.join("not-a-repo");
    std::fs::create_dir_all(&elsewhere).unwrap();
    w.append(&w.claude_file("a"), &cl("a", &repo, "main", "a0", T, 1000, 100));
    w.append(&w.claude_file("b"), &cl("b", &repo, "main", "b0", T, 1000, 100));
    w.append(&w.claude_file("c"), &cl("c", &elsewhere, "main", "c0", T, 1000, 100));
    let store = w.scan();
    assert_eq!(link_due(&store), ["a", "b", "c"], "new sessions are listed");
    // Checked while their windows are open: listed still.
    assert_eq!(outcomes::link_commits(&store, &w.env(), T + MIN).unwrap().sessions_checked, 3);
    assert_eq!(link_due(&store), ["a", "b", "c"]);
    // Checked after their windows closed: final, the list is empty, later calls do nothing.
    assert_eq!(outcomes::link_commits(&store, &w.env(), T + 40 * MIN).unwrap().sessions_checked, 3);
    assert!(link_due(&store).is_empty());
    assert_eq!(outcomes::link_commits(&store, &w.env(), T + 80 * MIN).unwrap().sessions_checked, 0);

    // A rescan that finds nothing new lists nothing; a request that moves b's end lists b alone.
    drop(store);
    let store = w.scan();
    assert!(link_due(&store).is_empty());
    let h = commit(&w.home, &repo, "late.txt", 3, T + 125 * MIN, ME, "late work");
    w.append(&w.claude_file("b"), &cl("b", &repo, "main", "b1", T + 120 * MIN, 1000, 100));
    drop(store);
    let store = w.scan();
    assert_eq!(link_due(&store), ["b"]);
    let r = outcomes::link_commits(&store, &w.env(), T + 121 * MIN).unwrap();
    assert_eq!(r.sessions_checked, 1, "only b is checked again");
    assert_eq!(link_due(&store), ["b"], "its window is open");
    let r = outcomes::link_commits(&store, &w.env(), T + 160 * MIN).unwrap();
    assert_eq!(r.sessions_checked, 1);
    assert!(link_due(&store).is_empty());
    assert_eq!(hashes(find(&w.sessions(&store), "b")), vec![h.as_str()]);
    assert!(find(&w.sessions(&store), "a").commits.is_empty());
}

#[test]
fn a_failed_check_stays_listed_and_is_retried() {
    let w = World::new();
    let repo = w.root.join("repo");
    init_repo(&w.home, &repo);
    w.append(&w.claude_file("f"), &cl("f", &repo, "main", "f0", T, 1000, 100));
    let store = w.scan();
    let h = commit(&w.home, &repo, "x.txt", 1, T + MIN, ME, "work");
    // A git that cannot be run (not executable): the check is an error, the session stays listed.
    let bin = w.root.join("broken-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("git"), "not a program").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("git"), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let broken = w.env().set("PATH", bin.display().to_string());
    let r = outcomes::link_commits(&store, &broken, T + 40 * MIN).unwrap();
    assert_eq!(r.sessions_checked, 1);
    assert!(!r.git_missing && r.warnings.iter().any(|w| w.contains("cannot run git")), "{:?}", r.warnings);
    assert_eq!(link_due(&store), ["f"]);
    // Before the retry interval: left alone; after it, with a working git: linked, then final.
    assert_eq!(outcomes::link_commits(&store, &w.env(), T + 50 * MIN).unwrap().sessions_checked, 0);
    assert_eq!(outcomes::link_commits(&store, &w.env(), T + 101 * MIN).unwrap().sessions_checked, 1);
    assert!(link_due(&store).is_empty());
    assert_eq!(hashes(find(&w.sessions(&store), "f")), vec![h.as_str()]);
}

#[test]
fn without_git_sessions_get_no_commits_and_one_warning() {
    let w = World::new();
    let repo = w.root.join("repo");
    init_repo(&w.home, &repo);
    let h = commit(&w.home, &repo, "x.txt", 2, T + MIN, ME, "work");
    for s in ["g1", "g2"] {
        w.append(&w.claude_file(s), &cl(s, &repo, "main", &format!("{s}m"), T, 1000, 100));
    }
    let store = w.scan();
    let empty_path = w.root.join("empty-bin");
    std::fs::create_dir_all(&empty_path).unwrap();
    let no_git = w.env().set("PATH", empty_path.display().to_string());
    let r = outcomes::link_commits(&store, &no_git, T + 86_400_000).unwrap();
    assert!(r.git_missing);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("git is not installed"));
    assert_eq!((r.sessions_checked, r.pending), (0, 2));
    assert!(w.sessions(&store).iter().all(|s| s.commits.is_empty()));
    // Once git is there, the unchecked sessions are linked.
    let r = outcomes::link_commits(&store, &w.env(), T + 86_400_000).unwrap();
    assert_eq!(r.sessions_checked, 2);
    assert_eq!(hashes(find(&w.sessions(&store), "g1")), vec![h.as_str()]);
}

#[test]
fn git_config_that_would_run_programs_is_not_obeyed() {
    let w = World::new();
    let repo = w.root.join("repo");
    init_repo(&w.home, &repo);
    let h = commit(&w.home, &repo, "x.txt", 2, T + MIN, ME, "work");
    // A pager, a fsmonitor hook and signature display that would each leave a mark.
    let mark = w.root.join("ran");
    let script = w.root.join("hook.sh");
    std::fs::write(&script, format!("#!/bin/sh\ntouch {}\ncat\n", mark.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let s = script.display().to_string();
    for (k, v) in [
        ("core.pager", s.as_str()),
        ("core.fsmonitor", s.as_str()),
        ("diff.external", s.as_str()),
        ("log.showSignature", "true"),
        ("gpg.program", s.as_str()),
    ] {
        git(&w.home, &repo, &["config", k, v], &[]);
    }
    w.append(&w.claude_file("h1"), &cl("h1", &repo, "main", "h1m", T, 1000, 100));
    let store = w.scan();
    let index = std::fs::read(repo.join(".git/index")).unwrap();
    // A GIT_DIR inherited from a hook must not redirect the question to another repository.
    let env = w.env().set("GIT_DIR", w.root.join("elsewhere/.git").display().to_string());
    outcomes::link_commits(&store, &env, T + 86_400_000).unwrap();
    assert_eq!(hashes(find(&w.sessions(&store), "h1")), vec![h.as_str()]);
    assert!(!mark.exists(), "a program from the repository's config ran");
    assert_eq!(std::fs::read(repo.join(".git/index")).unwrap(), index, "the index was written");
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[test]
fn active_time_leaves_out_gaps_over_fifteen_minutes() {
    let w = World::new();
    let f = w.claude_file("act");
    // Gaps: 5, 5, 30 (idle), 15 (counts: not over 15), 16 (idle).
    for (i, m) in [0, 5, 10, 40, 55, 71].iter().enumerate() {
        w.append(&f, &cl("act", &w.root, "main", &format!("t{i}"), T + m * MIN, 10, 1));
    }
    let store = w.scan();
    let s = w.sessions(&store).into_iter().find(|s| s.session_id == "act").unwrap();
    assert_eq!(s.active_seconds, 25 * 60);
    assert_eq!((s.start.as_str(), s.end.as_str()), (iso(T).as_str(), iso(T + 71 * MIN).as_str()));
    // Only the requests inside the period count.
    let t = table();
    let mut filter = Filter::new(chrono_tz::UTC);
    filter.since = Some(chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap());
    assert!(report::sessions(&store, &Pricer::new(&t), &filter).unwrap().sessions.is_empty());
}

#[test]
fn a_resumed_claude_session_is_linked_to_its_parent_and_counted_once() {
    let w = World::new();
    let cwd = w.root.join("proj");
    let parent = w.claude_file("p-1111");
    w.append(&parent, &cl("p-1111", &cwd, "main", "m1", T, 1000, 100));
    w.append(&parent, &cl("p-1111", &cwd, "main", "m2", T + MIN, 1000, 100));
    // The resumed session's file: copies of the parent's lines (the parent's sessionId), read in
    // one scan; its own lines arrive in a later scan.
    let child = w.claude_file("c-2222");
    w.append(&child, &cl("p-1111", &cwd, "main", "m1", T, 1000, 100));
    w.append(&child, &cl("p-1111", &cwd, "main", "m2", T + MIN, 1000, 100));
    drop(w.scan());
    w.append(&child, &cl("c-2222", &cwd, "fix", "m3", T + 60 * MIN, 1000, 100));
    // Another session in between, to see the family kept together.
    w.append(&w.claude_file("o-3333"), &cl("o-3333", &cwd, "main", "m4", T + 30 * MIN, 5, 5));
    let store = w.scan();
    let rows = w.sessions(&store);
    let ids: Vec<&str> = rows.iter().map(|s| s.session_id.as_str()).collect();
    assert_eq!(ids, vec!["p-1111", "c-2222", "o-3333"], "the child follows its parent");
    let c = find(&rows, "c-2222");
    let p = c.parent.as_ref().expect("the resumed session names its parent");
    assert_eq!((p.source.as_str(), p.session_id.as_str()), ("claude-code", "p-1111"));
    assert_eq!(c.git_branch.as_deref(), Some("fix"));
    assert_eq!((c.requests, c.totals.input_tokens), (1, 1000), "the copies are the parent's");
    let pr = find(&rows, "p-1111");
    assert_eq!((pr.requests, pr.parent.as_ref()), (2, None));
    let total: u64 = rows.iter().map(|s| s.totals.input_tokens).sum();
    assert_eq!(total, 3005, "counted once");
}

#[test]
fn a_codex_fork_is_linked_to_its_parent() {
    let w = World::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codex_fork/home/.codex");
    let dst = w.home.join(".codex/sessions/2026/03/02");
    std::fs::create_dir_all(&dst).unwrap();
    // The fork is read before its parent: the replayed history must still be the parent's.
    let mut files: Vec<_> =
        std::fs::read_dir(fixtures.join("sessions/2026/03/02")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.reverse();
    assert!(files[0].to_string_lossy().ends_with("0002.jsonl"));
    for f in files {
        std::fs::copy(&f, dst.join(f.file_name().unwrap())).unwrap();
        drop(w.scan());
    }
    // A fork that names its parent only by forked_from_id (no replayed session_meta).
    let lone = r#"{"timestamp":"2026-03-02T11:00:00.000Z","type":"session_meta","payload":{"id":"0195aaaa-bbbb-7ccc-8ddd-eeeeffff0003","cwd":"/home/dev/acme-api","git":{"branch":"topic"},"forked_from_id":"0195aaaa-bbbb-7ccc-8ddd-eeeeffff0001"}}
{"timestamp":"2026-03-02T11:00:01.000Z","type":"turn_context","payload":{"cwd":"/home/dev/acme-api","model":"gpt-5-codex"}}
{"timestamp":"2026-03-02T11:00:10.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":700,"cached_input_tokens":0,"output_tokens":7,"reasoning_output_tokens":0,"total_tokens":707},"last_token_usage":{"input_tokens":700,"cached_input_tokens":0,"output_tokens":7,"reasoning_output_tokens":0,"total_tokens":707}}}}
"#;
    std::fs::write(dst.join("rollout-2026-03-02T06-00-00-0195aaaa-bbbb-7ccc-8ddd-eeeeffff0003.jsonl"), lone)
        .unwrap();
    let store = w.scan();
    let rows = w.sessions(&store);
    let parent_of = |id: &str| find(&rows, id).parent.as_ref().map(|p| p.session_id.clone());
    assert_eq!(parent_of("0195aaaa-bbbb-7ccc-8ddd-eeeeffff0001"), None);
    assert_eq!(
        parent_of("0195aaaa-bbbb-7ccc-8ddd-eeeeffff0002").as_deref(),
        Some("0195aaaa-bbbb-7ccc-8ddd-eeeeffff0001")
    );
    assert_eq!(
        parent_of("0195aaaa-bbbb-7ccc-8ddd-eeeeffff0003").as_deref(),
        Some("0195aaaa-bbbb-7ccc-8ddd-eeeeffff0001")
    );
    assert_eq!(find(&rows, "0195aaaa-bbbb-7ccc-8ddd-eeeeffff0003").git_branch.as_deref(), Some("topic"));
    assert_eq!(find(&rows, "0195aaaa-bbbb-7ccc-8ddd-eeeeffff0002").git_branch.as_deref(), Some("main"));
    let ids: Vec<&str> = rows.iter().map(|s| s.session_id.as_str()).collect();
    assert_eq!(ids[0], "0195aaaa-bbbb-7ccc-8ddd-eeeeffff0001", "the root comes first: {ids:?}");
    // The fork's replay is not counted again: 3000 + 5000 + 700 input over the three.
    let input: u64 = rows.iter().map(|s| s.totals.input_tokens + s.totals.cache_read_tokens).sum();
    assert_eq!(input, 8700);
}

// ---------------------------------------------------------------------------------------------
// Tags

fn tagged(store: &Store) -> Vec<(String, String, Option<String>, Option<String>)> {
    let mut stmt =
        store.conn().prepare("SELECT session_id, outcome, note, link FROM tags ORDER BY 1").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn three_sessions(w: &World) {
    for (s, m) in [("abc-111", "x1"), ("abd-222", "x2"), ("zzz-333", "x3")] {
        w.append(&w.claude_file(s), &cl(s, &w.root, "main", m, T, 100, 10));
    }
}

#[test]
fn tags_resolve_prefixes_and_refuse_bad_input_storing_nothing() {
    let w = World::new();
    three_sessions(&w);
    let store = w.scan();
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let n = outcomes::tag_sessions(
        &store,
        &ids(&["abc", "zzz-333", "abc-111"]),
        Outcome::Shipped,
        Some("done"),
        Some("https://example.com/pr/1"),
        T,
    )
    .unwrap();
    assert_eq!(n, 2, "a session named twice is tagged once");
    let before = tagged(&store);
    assert_eq!(before.len(), 2);

    // Each is refused and changes nothing, even with a good id in the same call.
    let huge = "x".repeat(1 << 20);
    let cases: Vec<(Result<usize, TagError>, &str)> = vec![
        (outcomes::tag_sessions(&store, &ids(&["zzz", "nope"]), Outcome::Wasted, None, None, T), "nope"),
        (outcomes::tag_sessions(&store, &ids(&["zzz", "ab"]), Outcome::Wasted, None, None, T), "abd-222"),
        (outcomes::tag_sessions(&store, &ids(&["zzz"]), Outcome::Wasted, Some(&huge), None, T), "1048576"),
        (
            outcomes::tag_sessions(&store, &ids(&["zzz"]), Outcome::Wasted, None, Some("not a url"), T),
            "not a url",
        ),
        (
            outcomes::tag_sessions(&store, &ids(&["zzz"]), Outcome::Wasted, None, Some("ftp://x.org/a"), T),
            "ftp",
        ),
        (
            outcomes::tag_sessions(
                &store,
                &ids(&["zzz"]),
                Outcome::Wasted,
                None,
                Some("javascript:alert(1)"),
                T,
            ),
            "javascript",
        ),
        (outcomes::tag_sessions(&store, &ids(&[]), Outcome::Wasted, None, None, T), "no session"),
        (outcomes::clear_tags(&store, &ids(&["abc", "missing"])), "missing"),
    ];
    for (r, needle) in cases {
        let e = r.expect_err(needle);
        assert!(e.is_usage(), "{e}");
        assert!(e.to_string().contains(needle), "{e} lacks {needle}");
    }
    let amb = outcomes::tag_sessions(&store, &ids(&["ab"]), Outcome::Wasted, None, None, T).unwrap_err();
    assert!(matches!(&amb, TagError::AmbiguousSession { candidates, .. } if candidates.len() == 2), "{amb}");
    assert!(amb.to_string().contains("abc-111") && amb.to_string().contains("abd-222"));
    assert!(matches!("great".parse::<Outcome>(), Err(TagError::UnknownOutcome(_))));
    assert_eq!("Shipped".parse::<Outcome>().unwrap(), Outcome::Shipped);
    assert_eq!(tagged(&store), before, "a refused call stored nothing");

    // Left-out note and link are kept; empty ones remove them.
    outcomes::tag_sessions(&store, &ids(&["zzz"]), Outcome::Explored, None, None, T).unwrap();
    outcomes::tag_sessions(&store, &ids(&["abc"]), Outcome::Fixed, Some(""), Some(""), T).unwrap();
    let after = tagged(&store);
    assert_eq!(after[0], ("abc-111".into(), "fixed".into(), None, None));
    assert_eq!(
        after[1],
        ("zzz-333".into(), "explored".into(), Some("done".into()), Some("https://example.com/pr/1".into()))
    );
    // A note of exactly the limit is fine.
    let max = "é".repeat(outcomes::MAX_NOTE_CHARS);
    outcomes::tag_sessions(&store, &ids(&["abd"]), Outcome::Wasted, Some(&max), None, T).unwrap();
    assert_eq!(outcomes::clear_tags(&store, &ids(&["abd", "abc-111"])).unwrap(), 2);
    assert_eq!(tagged(&store).len(), 1);
    let last = outcomes::last_session(&store).unwrap().unwrap();
    assert_eq!(last.session_id, "zzz-333", "the latest end (ties: highest id)");
    assert_eq!(last.outcome, Some(Outcome::Explored));
}

#[test]
fn tags_survive_rescans_rewritten_logs_and_reopening() {
    let w = World::new();
    three_sessions(&w);
    let store = w.scan();
    outcomes::tag_sessions(&store, &["abc".into()], Outcome::Abandoned, Some("dead end"), None, T).unwrap();
    drop(store);
    // The log is rewritten shorter (a compaction): read again from 0, the ledger keeps all.
    let f = w.claude_file("abc-111");
    std::fs::write(&f, cl("abc-111", &w.root, "main", "x9", T + MIN, 1, 1)).unwrap();
    drop(w.scan());
    std::fs::remove_file(&f).unwrap();
    let store = w.scan();
    let rows = w.sessions(&store);
    let s = find(&rows, "abc-111");
    assert_eq!((s.outcome, s.note.as_deref()), (Some(Outcome::Abandoned), Some("dead end")));
    assert_eq!(s.requests, 2);
}

// ---------------------------------------------------------------------------------------------
// The worth-it report

#[test]
fn outcomes_report_numbers() {
    let w = World::new();
    let repo = w.root.join("repo");
    init_repo(&w.home, &repo);
    // Costs at $1/M input and $10/M output:
    //   s-ship1 $2 (commits: 2), s-ship2 $4 (1), s-waste $1, s-aband $3, s-untag-big $6 (no
    //   commits: idle burn), s-untag-com $0.50 (1 commit: suggested shipped), s-explore $0.
    let sessions: &[(&str, i64, u64, u64)] = &[
        ("s-ship1", 0, 1_000_000, 100_000),
        ("s-ship2", 100, 2_000_000, 200_000),
        ("s-waste", 200, 500_000, 50_000),
        ("s-aband", 300, 1_000_000, 200_000),
        ("s-untag-big", 400, 1_000_000, 500_000),
        ("s-untag-com", 500, 500_000, 0),
    ];
    for (s, at, input, output) in sessions {
        w.append(&w.claude_file(s), &cl(s, &repo, "main", &format!("{s}-m"), T + at * MIN, *input, *output));
    }
    w.append(&w.claude_file("s-explore"), &cl("s-explore", &w.root, "main", "e-m", T + 600 * MIN, 0, 0));
    w.append(&w.claude_file("s-explore"), &cl("s-explore", &w.root, "main", "e-n", T + 601 * MIN, 1, 0));
    commit(&w.home, &repo, "a", 1, T + MIN, ME, "1");
    commit(&w.home, &repo, "a", 2, T + 2 * MIN, ME, "2");
    commit(&w.home, &repo, "a", 3, T + 101 * MIN, ME, "3");
    commit(&w.home, &repo, "a", 4, T + 501 * MIN, ME, "4");
    let store = w.scan();
    outcomes::link_commits(&store, &w.env(), T + 7 * 86_400_000).unwrap();
    let tag = |id: &str, o: Outcome| {
        outcomes::tag_sessions(&store, &[id.to_string()], o, None, None, T).unwrap();
    };
    tag("s-ship1", Outcome::Shipped);
    tag("s-ship2", Outcome::Shipped);
    tag("s-waste", Outcome::Wasted);
    tag("s-aband", Outcome::Abandoned);
    tag("s-explore", Outcome::Explored);

    let t = table();
    let rep = outcomes::outcomes_report(&store, &Pricer::new(&t), &Filter::new(chrono_tz::UTC)).unwrap();
    let v = serde_json::to_value(&rep).unwrap();
    let close = |a: &serde_json::Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-9;
    let want = [
        ("shipped", 2, 6.0, 3),
        ("fixed", 0, 0.0, 0),
        ("explored", 1, 0.000001, 0),
        ("abandoned", 1, 3.0, 0),
        ("wasted", 1, 1.0, 0),
    ];
    let rows = v["outcomes"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for (row, (name, n, cost, commits)) in rows.iter().zip(want) {
        assert_eq!(row["outcome"], name);
        assert_eq!(row["sessions"], n, "{name}");
        assert!(close(&row["cost_usd"], cost), "{name}: {}", row["cost_usd"]);
        assert_eq!(row["commits"], commits, "{name}");
    }
    assert_eq!(v["untagged"]["sessions"], 2);
    assert!(close(&v["untagged"]["cost_usd"], 6.5));
    assert_eq!(v["untagged"]["commits"], 1);
    let spent = 6.0 + 0.000001 + 3.0 + 1.0 + 6.5;
    assert!(close(&v["total"]["cost_usd"], spent));
    assert!(close(&v["cost_per_shipped_session"], 3.0));
    assert!(close(&v["cost_per_commit"], spent / 4.0));
    assert!(close(&v["untagged_share"], 6.5 / spent));
    assert!(close(&v["wasted_share"], 4.0 / spent));
    let review: Vec<&str> =
        v["review"].as_array().unwrap().iter().map(|r| r["session_id"].as_str().unwrap()).collect();
    assert_eq!(review, vec!["s-untag-big", "s-untag-com"]);
    assert_eq!(v["review"][1]["suggested_outcome"], "shipped");
    let idle: Vec<&str> =
        v["idle_burn"].as_array().unwrap().iter().map(|r| r["session_id"].as_str().unwrap()).collect();
    assert_eq!(idle, vec!["s-untag-big"]);

    // A period with nothing in it: five zero rows and no ratios.
    let mut f = Filter::new(chrono_tz::UTC);
    f.since = Some(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    let empty =
        serde_json::to_value(outcomes::outcomes_report(&store, &Pricer::new(&t), &f).unwrap()).unwrap();
    assert_eq!(empty["outcomes"].as_array().unwrap().len(), 5);
    assert!(empty["cost_per_commit"].is_null() && empty["untagged_share"].is_null());
    assert_eq!(empty["untagged"]["sessions"], 0);
}

#[test]
fn session_requests_are_listed_oldest_first() {
    let w = World::new();
    let f = w.claude_file("req");
    w.append(&f, &cl("req", &w.root, "main", "r2", T + MIN, 2_000_000, 0));
    w.append(&f, &cl("req", &w.root, "main", "r1", T, 1_000_000, 100_000));
    let store = w.scan();
    let t = table();
    let rows = report::session_requests(&store, &Pricer::new(&t), "claude-code", "req").unwrap();
    let v = serde_json::to_value(&rows).unwrap();
    assert_eq!(v[0]["ts"], iso(T));
    assert_eq!(v[0]["model"], MODEL);
    assert_eq!(v[0]["input_tokens"], 1_000_000);
    assert_eq!(v[0]["output_tokens"], 100_000);
    assert!((v[0]["cost_usd"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert_eq!(v[1]["ts"], iso(T + MIN));
    assert!(report::session_requests(&store, &Pricer::new(&t), "codex", "req").unwrap().is_empty());
}

/// Schema 3 changed the fingerprint function. A cursor stored before (byte-wise FNV-1a hashes)
/// must still resume at its offset, and a file replaced since must still be read from the start.
#[test]
fn cursors_stored_before_schema_3_keep_their_fingerprints() {
    let w = World::new();
    let f = w.claude_file("fp");
    w.append(&f, &cl("fp", Path::new("/w"), "main", "f1", T, 10, 1));
    w.append(&f, &cl("fp", Path::new("/w"), "main", "f2", T + MIN, 10, 1));
    drop(w.scan());
    let size = std::fs::metadata(&f).unwrap().len();
    // What a ledger of schema 2 holds: FNV-1a hashes of the (whole, < 4 KiB) file, and no
    // fingerprint column. `honest` says whether the hashes match the file.
    let to_schema_2 = |honest: bool| {
        let h = tokenworth_core::hash::fnv1a(&std::fs::read(&f).unwrap()) as i64;
        let h = if honest { h } else { h ^ 1 };
        let c = rusqlite::Connection::open(&w.db).unwrap();
        c.execute("UPDATE files SET head_hash = ?1, tail_hash = ?1", [h]).unwrap();
        c.execute_batch(
            "DROP TABLE totals; ALTER TABLE files DROP COLUMN skipped_since;
             ALTER TABLE files DROP COLUMN fingerprint; PRAGMA user_version = 2;",
        )
        .unwrap();
    };
    let scan = || {
        let mut store = Store::open(&w.db).unwrap();
        let r = ingest::scan(&mut store, &w.env(), &source::all(), &ScanOptions::default()).unwrap();
        let fp: i64 = store.conn().query_row("SELECT fingerprint FROM files", [], |r| r.get(0)).unwrap();
        (r.bytes_read(), fp)
    };

    to_schema_2(true);
    let line = cl("fp", Path::new("/w"), "main", "f3", T + 2 * MIN, 10, 1);
    w.append(&f, &line);
    assert_eq!(scan(), (line.len() as u64, 2), "resumed at the stored offset, then rehashed with function 2");

    to_schema_2(false);
    let line = cl("fp", Path::new("/w"), "main", "f4", T + 3 * MIN, 10, 1);
    w.append(&f, &line);
    let whole = size + 2 * line.len() as u64;
    assert_eq!(scan(), (whole, 2), "a file whose hashes differ is read again from the start");
    let rows = w.sessions(&Store::open(&w.db).unwrap());
    assert_eq!(find(&rows, "fp").requests, 4, "and nothing is counted twice");
}

#[test]
fn a_schema_1_ledger_gets_its_sessions_from_stored_events() {
    let w = World::new();
    let f = w.claude_file("old-1");
    w.append(&f, &cl("old-1", Path::new("/first"), "main", "o1", T, 10, 1));
    w.append(&f, &cl("old-1", Path::new("/second"), "main", "o2", T + 5 * MIN, 10, 1));
    drop(w.scan());
    // Back to schema 1: what a ledger written by the previous version looks like.
    {
        let c = rusqlite::Connection::open(&w.db).unwrap();
        c.execute_batch(
            "DROP TABLE sessions; DROP TABLE tags; DROP TABLE session_commits; DROP TABLE commit_checks;
             DROP TABLE totals; ALTER TABLE files DROP COLUMN skipped_since;
             ALTER TABLE files DROP COLUMN fingerprint; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(&w.db).unwrap();
    let last = outcomes::last_session(&store).unwrap().expect("the session was carried over");
    assert_eq!((last.session_id.as_str(), last.project.as_str()), ("old-1", "/first"));
    assert_eq!((last.start, last.end), (iso(T), iso(T + 5 * MIN)));
    assert_eq!(outcomes::tag_sessions(&store, &["old".into()], Outcome::Explored, None, None, T).unwrap(), 1);
}
