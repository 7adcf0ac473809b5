//! Alerts on a real ledger fed from real log lines, the clock pinned: each budget threshold fires
//! once, a new period re-arms it, a raised budget clears it; the spike and idle-burn alerts fire
//! once while their condition holds; the next deadline is the next moment anything can change.

use std::path::Path;

use tokenworth_core::alerts::{self, AlertSettings, Fired};
use tokenworth_core::budget::{Budget, BudgetPeriod};
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::report::Pricer;
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

const TZ: chrono_tz::Tz = chrono_tz::UTC;

fn ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

/// A Claude Code request of `output` output tokens of claude-sonnet-4-5 ($15 per million; no
/// input, so never the long-context tier).
fn line(session: &str, id: &str, ts: &str, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"{session}","cwd":"/p","requestId":"r{id}","timestamp":"{ts}","message":{{"id":"m{id}","model":"claude-sonnet-4-5","usage":{{"input_tokens":0,"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#
    )
}

struct Home {
    _tmp: tempfile::TempDir,
    env: Env,
    log: std::path::PathBuf,
    store: Store,
    n: u32,
}

impl Home {
    fn new() -> Home {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("home/.claude/projects/-p");
        std::fs::create_dir_all(&dir).unwrap();
        let env = Env::with_home(tmp.path().join("home"));
        let store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        Home { log: dir.join("s.jsonl"), _tmp: tmp, env, store, n: 0 }
    }

    /// Appends a request costing `usd` to `session` at `ts` and scans.
    fn spend(&mut self, session: &str, ts: &str, usd: f64) {
        self.n += 1;
        let output = (usd / 15.0 * 1e6).round() as u64;
        append(&self.log, &(line(session, &self.n.to_string(), ts, output) + "\n"));
        ingest::scan(&mut self.store, &self.env, &source::all(), &ScanOptions::default()).unwrap();
    }
}

fn append(p: &Path, s: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new().create(true).append(true).open(p).unwrap().write_all(s.as_bytes()).unwrap();
}

fn keys(c: &alerts::Checked) -> Vec<&str> {
    c.new.iter().map(|a| a.key.as_str()).collect()
}

#[test]
fn a_budget_threshold_fires_once_per_period_and_a_raise_rearms_it() {
    let mut h = Home::new();
    let table = PriceTable::embedded();
    let pricer = Pricer::new(&table);
    let settings = AlertSettings { spike: false, idle_burn: false, ..AlertSettings::default() };
    let mut budgets =
        vec![Budget { period: BudgetPeriod::Daily, limit_usd: 10.0, source: None, project: None }];
    let mut fired = Fired::default();
    let check = |h: &Home, budgets: &[Budget], now: &str, fired: &mut Fired| {
        alerts::check(&h.store, &pricer, &settings, budgets, TZ, ms(now), fired).unwrap()
    };

    h.spend("a", "2026-03-02T09:00:00Z", 5.0);
    let c = check(&h, &budgets, "2026-03-02T09:01:00Z", &mut fired);
    assert!(c.new.is_empty() && c.holding.is_empty(), "{c:?}");
    assert_eq!(c.next_ms, Some(ms("2026-03-03T00:00:00Z")), "the day's end is the next deadline");

    h.spend("a", "2026-03-02T10:00:00Z", 3.5);
    let c = check(&h, &budgets, "2026-03-02T10:01:00Z", &mut fired);
    assert_eq!(keys(&c), ["budget:daily:*:*:2026-03-02:80"]);
    assert!(c.new[0].title.contains("80%"), "{:?}", c.new[0]);
    // Once: more spend below 100% says nothing new.
    h.spend("a", "2026-03-02T10:30:00Z", 0.5);
    let c = check(&h, &budgets, "2026-03-02T10:31:00Z", &mut fired);
    assert!(c.new.is_empty(), "{c:?}");
    assert_eq!(c.holding.len(), 1);

    h.spend("a", "2026-03-02T11:00:00Z", 2.0);
    let c = check(&h, &budgets, "2026-03-02T11:01:00Z", &mut fired);
    assert_eq!(keys(&c), ["budget:daily:*:*:2026-03-02:100"]);
    assert!(check(&h, &budgets, "2026-03-02T11:02:00Z", &mut fired).new.is_empty());

    // Raised to $13 (85%): nothing new (80% was said); raised to $30: everything re-armed.
    budgets[0].limit_usd = 13.0;
    assert!(check(&h, &budgets, "2026-03-02T11:03:00Z", &mut fired).new.is_empty());
    budgets[0].limit_usd = 30.0;
    let c = check(&h, &budgets, "2026-03-02T11:04:00Z", &mut fired);
    assert!(c.new.is_empty() && c.holding.is_empty());
    assert!(fired.0.is_empty(), "{fired:?}");
    budgets[0].limit_usd = 10.0;
    let c = check(&h, &budgets, "2026-03-02T11:05:00Z", &mut fired);
    assert_eq!(keys(&c), ["budget:daily:*:*:2026-03-02:100"], "straight past both: 100% only");

    // A new day: re-armed, and yesterday's keys forgotten.
    h.spend("a", "2026-03-03T08:00:00Z", 8.5);
    let c = check(&h, &budgets, "2026-03-03T08:01:00Z", &mut fired);
    assert_eq!(keys(&c), ["budget:daily:*:*:2026-03-03:80"]);
    assert_eq!(fired.0.len(), 1, "{fired:?}");

    // Per tool: a budget for another tool sees none of it.
    let codex =
        [Budget { period: BudgetPeriod::Daily, limit_usd: 1.0, source: Some("codex".into()), project: None }];
    assert!(check(&h, &codex, "2026-03-03T08:02:00Z", &mut Fired::default()).holding.is_empty());

    // Turned off: nothing.
    let off = AlertSettings { budget: false, ..settings.clone() };
    let c = alerts::check(
        &h.store,
        &pricer,
        &off,
        &budgets,
        TZ,
        ms("2026-03-03T08:03:00Z"),
        &mut Fired::default(),
    )
    .unwrap();
    assert!(c.holding.is_empty());
}

#[test]
fn a_spike_and_an_idle_burn_fire_once_while_they_hold() {
    let mut h = Home::new();
    let table = PriceTable::embedded();
    let pricer = Pricer::new(&table);
    let settings = AlertSettings::default();
    let mut fired = Fired::default();
    // Fourteen ordinary days of $1.
    for d in 1..=14 {
        h.spend(&format!("day{d}"), &format!("2026-03-{d:02}T09:00:00Z"), 1.0);
    }
    h.spend("big", "2026-03-15T09:00:00Z", 2.5);
    let c =
        alerts::check(&h.store, &pricer, &settings, &[], TZ, ms("2026-03-15T09:05:00Z"), &mut fired).unwrap();
    assert!(c.holding.is_empty(), "$2.50 is under 3× $1: {c:?}");
    // The session becomes heavy ($5) and keeps running: idle burn is due 30 minutes after its start.
    h.spend("big", "2026-03-15T09:10:00Z", 2.6);
    let c =
        alerts::check(&h.store, &pricer, &settings, &[], TZ, ms("2026-03-15T09:11:00Z"), &mut fired).unwrap();
    assert_eq!(keys(&c), ["spike:2026-03-15"]);
    assert!(c.new[0].title.contains("$5.10"), "{:?}", c.new[0]);
    assert_eq!(c.next_ms, Some(ms("2026-03-15T09:30:00Z")), "the idle-burn deadline");
    h.spend("big", "2026-03-15T09:25:00Z", 0.1);
    let c =
        alerts::check(&h.store, &pricer, &settings, &[], TZ, ms("2026-03-15T09:30:00Z"), &mut fired).unwrap();
    assert_eq!(keys(&c), ["idle_burn:claude-code:big"]);
    assert!(alerts::check(&h.store, &pricer, &settings, &[], TZ, ms("2026-03-15T09:31:00Z"), &mut fired)
        .unwrap()
        .new
        .is_empty());
    // Quiet for longer than 30 minutes: no longer running, the alert ends (and could fire again).
    let c =
        alerts::check(&h.store, &pricer, &settings, &[], TZ, ms("2026-03-15T10:30:00Z"), &mut fired).unwrap();
    assert_eq!(c.holding.iter().map(|a| a.kind).collect::<Vec<_>>(), ["spike"]);
    assert_eq!(fired.0.iter().collect::<Vec<_>>(), ["spike:2026-03-15"]);
}
