//! A fake home with real logs, a real ledger file, a real `Live`, and waits on its events with a
//! timeout.

#![allow(dead_code)] // each test binary uses part of it

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use tokenworth_core::store::Store;
use tokenworth_core::Env;
use tokenworth_watch::{Live, LiveConfig, LiveEvent, RootState, RootStatus};

/// Generous: a loaded 2-core machine compiling beside the tests.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct Harness {
    _tmp: tempfile::TempDir,
    pub home: PathBuf,
    pub db: PathBuf,
    pub live: Option<Live>,
    rx: Receiver<LiveEvent>,
}

impl Harness {
    /// A home prepared by `setup` and a data dir beside it (not under any root).
    pub fn new(setup: impl FnOnce(&Path)) -> (Harness, LiveConfig) {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        setup(&home);
        let db = tmp.path().join("data").join("ledger.db");
        let cfg = LiveConfig::new(Env::with_home(&home), db.clone());
        let (_, rx) = mpsc::channel();
        (Harness { _tmp: tmp, home, db, live: None, rx }, cfg)
    }

    /// Starts `Live` and waits for the initial scan's `Flushed`.
    pub fn start(&mut self, cfg: LiveConfig) -> usize {
        let (tx, rx) = mpsc::channel();
        let live = Live::start(cfg, move |e| {
            let _ = tx.send(e);
        })
        .expect("Live::start");
        self.live = Some(live);
        self.rx = rx;
        self.flushed()
    }

    pub fn live(&self) -> &Live {
        self.live.as_ref().unwrap()
    }

    /// The next event `pick` accepts; fails on an `Error` (unless picked) or after `TIMEOUT`.
    pub fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(&LiveEvent) -> Option<T>) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(e) => {
                    if let Some(t) = pick(&e) {
                        return t;
                    }
                    if let LiveEvent::Error(msg) = e {
                        panic!("waiting for {what}: live ingest failed: {msg}");
                    }
                }
                Err(_) => panic!("no {what} within {TIMEOUT:?}"),
            }
        }
    }

    /// Waits until `a` and `b` each accepted an event, in either order (a root's new state and
    /// the scan that reads it may come in either order when the directory appears mid-scan).
    pub fn wait_both(&self, what: &str, a: impl Fn(&LiveEvent) -> bool, b: impl Fn(&LiveEvent) -> bool) {
        let (mut seen_a, mut seen_b) = (false, false);
        self.wait_for(what, |e| {
            seen_a |= a(e);
            seen_b |= b(e);
            (seen_a && seen_b).then_some(())
        })
    }

    /// Waits for the next `Flushed`; returns its event count.
    pub fn flushed(&self) -> usize {
        self.wait_for("Flushed", |e| match e {
            LiveEvent::Flushed { events, .. } => Some(*events),
            _ => None,
        })
    }

    /// Waits for a `Roots` event in which `root` has a state `accept` takes.
    pub fn roots_where(&self, root: &Path, accept: impl Fn(&RootState) -> bool) -> Vec<RootStatus> {
        self.wait_for(&format!("Roots with {} in the expected state", root.display()), |e| match e {
            LiveEvent::Roots(r) if r.iter().any(|s| s.path == root && accept(&s.state)) => Some(r.clone()),
            _ => None,
        })
    }

    /// (events, sum of output tokens) stored for `source`, read from the ledger file.
    pub fn totals(&self, source: &str) -> (u64, u64) {
        let store = Store::open_readonly(&self.db).unwrap();
        store
            .conn()
            .query_row(
                "SELECT count(*), coalesce(sum(output), 0) FROM events WHERE source = ?1",
                [source],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .unwrap()
    }

    /// Waits for `root` to reach a state `accept` takes and for a `Flushed` that stored events
    /// of `source`, in either order.
    pub fn root_and_flush(&self, root: &Path, accept: impl Fn(&RootState) -> bool, source: &str) {
        self.wait_both(
            &format!("{} in the expected state and a Flushed with {source} events", root.display()),
            |e| matches!(e, LiveEvent::Roots(r) if r.iter().any(|s| s.path == root && accept(&s.state))),
            |e| match e {
                LiveEvent::Flushed { report, .. } => {
                    report.sources.iter().any(|s| s.id == source && s.events > 0)
                }
                _ => false,
            },
        )
    }

    pub fn claude_root(&self) -> PathBuf {
        self.home.join(".claude/projects")
    }

    pub fn codex_root(&self) -> PathBuf {
        self.home.join(".codex/sessions")
    }
}

/// One complete Claude Code assistant line (shape from core's fixtures) with its own message
/// and request ids.
pub fn claude_line(id: &str, output: u64) -> String {
    format!(
        r#"{{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/dev/acme","sessionId":"s1","version":"2.1.40","gitBranch":"main","type":"assistant","uuid":"u-{id}","timestamp":"2026-03-02T10:00:01.000Z","message":{{"id":"msg_{id}","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":"ok"}}],"stop_reason":null,"usage":{{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":{output},"service_tier":"standard","cache_creation":{{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":0}}}}}},"requestId":"req_{id}"}}"#
    ) + "\n"
}

/// A Codex rollout's head: session meta and turn context (shape from core's fixtures).
pub fn codex_head(session: &str) -> String {
    format!(
        r#"{{"timestamp":"2026-03-02T09:00:00.000Z","type":"session_meta","payload":{{"id":"{session}","timestamp":"2026-03-02T09:00:00.000Z","cwd":"/home/dev/acme-api","originator":"codex_cli_rs","cli_version":"0.120.0","git":{{"branch":"main"}}}}}}
{{"timestamp":"2026-03-02T09:00:01.000Z","type":"turn_context","payload":{{"cwd":"/home/dev/acme-api","approval_policy":"on-request","model":"gpt-5-codex"}}}}
"#
    )
}

/// A Codex `token_count` line with cumulative totals (one turn of `output` tokens each).
pub fn codex_turn(second: u32, total_input: u64, total_output: u64, output: u64) -> String {
    format!(
        r#"{{"timestamp":"2026-03-02T09:01:{second:02}.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{total_input},"cached_input_tokens":0,"output_tokens":{total_output},"reasoning_output_tokens":0,"total_tokens":{t}}},"last_token_usage":{{"input_tokens":1000,"cached_input_tokens":0,"output_tokens":{output},"reasoning_output_tokens":0,"total_tokens":{l}}},"model_context_window":272000}},"rate_limits":null}}}}
"#,
        t = total_input + total_output,
        l = 1000 + output
    )
}

/// Appends `text` in one write and flushes it, as a logging tool does.
pub fn append(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
}
