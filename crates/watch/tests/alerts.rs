//! The alert watcher on a real ledger and a real config.toml, the clock pinned: it checks at
//! start, after each change it is told of, and at the deadline the check named (midnight), with
//! no tick in between; an alert fires once, also across a restart, and a new day re-arms it.

use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use tokenworth_core::budget::{Budget, BudgetPeriod};
use tokenworth_core::config::DataDir;
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_watch::{AlertUpdate, AlertWatch};

/// 2026-03-02T23:59:58Z.
const NOW: i64 = 1_772_495_998_000;

/// A Claude Code request costing `usd` (claude-sonnet-4-5 output at $15 per million).
fn line(id: u32, usd: f64) -> String {
    let output = (usd / 15.0 * 1e6).round() as u64;
    format!(
        r#"{{"type":"assistant","sessionId":"s","cwd":"/p","requestId":"r{id}","timestamp":"2026-03-02T23:00:00Z","message":{{"id":"m{id}","model":"claude-sonnet-4-5","usage":{{"input_tokens":0,"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#
    ) + "\n"
}

struct Setup {
    _tmp: tempfile::TempDir,
    env: Env,
    data: DataDir,
    log: std::path::PathBuf,
    clock: Arc<AtomicI64>,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("home/.claude/projects/-p");
        std::fs::create_dir_all(&dir).unwrap();
        let data = DataDir { root: tmp.path().join("data") };
        std::fs::create_dir_all(&data.root).unwrap();
        data.set_timezone(Some(chrono_tz::UTC)).unwrap();
        data.set_budget(&Budget {
            period: BudgetPeriod::Daily,
            limit_usd: 10.0,
            source: None,
            project: None,
        })
        .unwrap();
        let env = Env::with_home(tmp.path().join("home"));
        Setup { log: dir.join("s.jsonl"), _tmp: tmp, env, data, clock: Arc::new(AtomicI64::new(NOW)) }
    }

    fn spend(&self, id: u32, usd: f64) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap()
            .write_all(line(id, usd).as_bytes())
            .unwrap();
        let mut store = Store::open(&self.data.db()).unwrap();
        ingest::scan(&mut store, &self.env, &source::all(), &ScanOptions::default()).unwrap();
    }

    fn start(&self) -> (AlertWatch, mpsc::Receiver<AlertUpdate>) {
        let (tx, rx) = mpsc::channel();
        let clock = Arc::clone(&self.clock);
        let w = AlertWatch::start(
            self.data.clone(),
            self.env.clone(),
            Arc::new(move || clock.load(Ordering::SeqCst)),
            move |u| {
                let _ = tx.send(u);
            },
        )
        .unwrap();
        (w, rx)
    }
}

fn next(rx: &mpsc::Receiver<AlertUpdate>) -> AlertUpdate {
    rx.recv_timeout(Duration::from_secs(10)).expect("an update")
}

fn titles(a: &[tokenworth_core::alerts::Alert]) -> Vec<String> {
    a.iter().map(|a| a.title.clone()).collect()
}

#[test]
fn budget_alerts_fire_once_across_restarts_and_midnight_rearms_them_without_a_tick() {
    let s = Setup::new();
    s.spend(1, 5.0);
    let (w, rx) = s.start();
    // The first check always reports what holds: nothing yet.
    let u = next(&rx);
    assert!(u.new.is_empty() && u.holding.is_empty() && u.error.is_none(), "{u:?}");

    s.spend(2, 3.5); // $8.50 of $10
    w.changed();
    let u = next(&rx);
    assert_eq!(titles(&u.new), ["Daily budget at 80% (all tools)"]);

    // Told of a change that crosses nothing new: no update at all.
    w.changed();
    assert!(rx.recv_timeout(Duration::from_millis(500)).is_err());

    s.spend(3, 2.0); // $10.50
    w.changed();
    let u = next(&rx);
    assert_eq!(titles(&u.new), ["Daily budget spent (all tools)"]);
    assert_eq!(titles(&u.holding), ["Daily budget spent (all tools)"]);

    // A restart does not show what was shown.
    w.stop();
    let (w, rx) = s.start();
    let u = next(&rx);
    assert!(u.new.is_empty(), "{u:?}");
    assert_eq!(u.holding.len(), 1);

    // Midnight (2 s away on the pinned clock; the watcher waits for it in real time): the new
    // day's budget is untouched, so nothing holds, without any write or poke.
    s.clock.store(NOW + 3_000, Ordering::SeqCst);
    let u = rx.recv_timeout(Duration::from_secs(8)).expect("the midnight check");
    assert!(u.new.is_empty() && u.holding.is_empty(), "{u:?}");
    assert!(s.data.fired_alerts().0.is_empty(), "re-armed: {:?}", s.data.fired_alerts());
    w.stop();
}

#[test]
fn a_broken_config_is_reported_and_keeps_what_held() {
    let s = Setup::new();
    s.spend(1, 12.0);
    let (w, rx) = s.start();
    let u = next(&rx);
    assert_eq!(u.new.len(), 1);
    std::fs::write(s.data.config(), "[[budgets]]\nperiod = \"hourly\"\nlimit_usd = 1\n").unwrap();
    w.changed();
    let u = next(&rx);
    assert!(u.error.as_deref().is_some_and(|e| e.contains("`period` must be")), "{u:?}");
    assert_eq!(u.holding.len(), 1, "kept: {u:?}");
    assert!(u.new.is_empty());
    w.stop();
}
