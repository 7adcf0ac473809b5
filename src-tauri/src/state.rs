//! What the app keeps between events: where the data lives, the watcher, and the last scan.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use tokenworth_core::alerts::Alert;
use tokenworth_core::config::{self, DataDir};
use tokenworth_core::report::Pricer;
use tokenworth_core::store::Store;
use tokenworth_core::Env;
use tokenworth_watch::{AlertWatch, LedgerWatch, Live, RootStatus};

#[derive(Debug, Clone, serde::Serialize)]
pub struct LastScan {
    pub at: String,
    pub events: usize,
    pub bytes: u64,
    pub duration_ms: u64,
}

#[derive(Default)]
struct Status {
    last_scan: Option<LastScan>,
    last_error: Option<String>,
    roots: Vec<RootStatus>,
}

pub struct AppState {
    pub env: Env,
    pub data: DataDir,
    live: Mutex<Option<Live>>,
    ledger_watch: Mutex<Option<LedgerWatch>>,
    alerts: Mutex<Option<AlertWatch>>,
    /// The alerts whose condition holds (the tray's mark, the dashboard's banner).
    holding: Mutex<Vec<Alert>>,
    status: Mutex<Status>,
    launched: Instant,
    timing: bool,
    first_flush: AtomicBool,
    /// Sharing with a team board: one operation at a time, and the auto-send's state.
    pub share: crate::share::ShareState,
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn now_iso() -> String {
    tokenworth_core::report::iso_utc(now_ms())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub fn new(env: Env, data: DataDir, launched: Instant, timing: bool) -> AppState {
        let share = crate::share::ShareState::new(&env);
        AppState {
            share,
            env,
            data,
            live: Mutex::new(None),
            ledger_watch: Mutex::new(None),
            alerts: Mutex::new(None),
            holding: Mutex::new(Vec::new()),
            status: Mutex::new(Status::default()),
            launched,
            timing,
            first_flush: AtomicBool::new(false),
        }
    }

    pub fn set_live(&self, live: Live) {
        let roots = live.roots();
        *lock(&self.live) = Some(live);
        lock(&self.status).roots = roots;
    }

    pub fn set_ledger_watch(&self, w: LedgerWatch) {
        *lock(&self.ledger_watch) = Some(w);
    }

    pub fn set_alerts(&self, w: AlertWatch) {
        *lock(&self.alerts) = Some(w);
    }

    pub fn take_alerts(&self) -> Option<AlertWatch> {
        lock(&self.alerts).take()
    }

    /// The ledger or a setting changed: the alerts are checked again.
    pub fn alerts_changed(&self) {
        if let Some(w) = lock(&self.alerts).as_ref() {
            w.changed();
        }
    }

    pub fn set_holding(&self, holding: Vec<Alert>) {
        *lock(&self.holding) = holding;
    }

    pub fn holding(&self) -> Vec<Alert> {
        lock(&self.holding).clone()
    }

    pub fn take_live(&self) -> Option<Live> {
        drop(lock(&self.ledger_watch).take());
        lock(&self.live).take()
    }

    pub fn paused(&self) -> bool {
        lock(&self.live).as_ref().is_some_and(|l| l.is_paused())
    }

    /// Pauses or resumes watching; false when there is no watcher (the ledger could not open).
    pub fn set_paused(&self, paused: bool) -> bool {
        match lock(&self.live).as_ref() {
            Some(l) if paused => {
                l.pause();
                true
            }
            Some(l) => {
                l.resume();
                true
            }
            None => false,
        }
    }

    pub fn rescan(&self) -> bool {
        lock(&self.live).as_ref().map(|l| l.rescan()).is_some()
    }

    pub fn roots(&self) -> Vec<RootStatus> {
        if let Some(l) = lock(&self.live).as_ref() {
            return l.roots();
        }
        lock(&self.status).roots.clone()
    }

    pub fn set_roots(&self, roots: Vec<RootStatus>) {
        lock(&self.status).roots = roots;
    }

    pub fn record_scan(&self, events: usize, bytes: u64, duration: Duration) {
        let mut s = lock(&self.status);
        s.last_scan =
            Some(LastScan { at: now_iso(), events, bytes, duration_ms: duration.as_millis() as u64 });
        s.last_error = None;
    }

    pub fn last_scan(&self) -> Option<LastScan> {
        lock(&self.status).last_scan.clone()
    }

    pub fn set_error(&self, e: Option<String>) {
        lock(&self.status).last_error = e;
    }

    pub fn last_error(&self) -> Option<String> {
        lock(&self.status).last_error.clone()
    }

    /// With TOKENWORTH_APP_TIMING set, prints once how long launch → tray with totals took
    /// (read by the launch benchmark).
    pub fn note_first_flush(&self) {
        if self.timing && !self.first_flush.swap(true, Ordering::SeqCst) {
            let _ = writeln!(
                std::io::stderr(),
                "tokenworth-app: timing: tray ready {} ms after launch",
                self.launched.elapsed().as_millis()
            );
        }
    }

    /// With TOKENWORTH_APP_TIMING set, prints when something happened (read by the app
    /// benchmark, e.g. to know when the dashboard window came and went).
    pub fn log_timing(&self, what: &str) {
        if self.timing {
            let _ = writeln!(
                std::io::stderr(),
                "tokenworth-app: timing: {what} {} ms after launch",
                self.launched.elapsed().as_millis()
            );
        }
    }

    /// The zone days are split in: config.toml's, else the system's.
    pub fn tz(&self) -> Result<Tz, String> {
        config::effective_tz(None, &self.data, &self.env).map_err(|e| e.to_string())
    }

    /// Runs `f` over a write connection (tags; the watcher owns ingest writes): short IMMEDIATE
    /// transactions that wait for a running scan through the busy timeout.
    pub fn write<T>(&self, f: impl FnOnce(&Store) -> Result<T, String>) -> Result<T, String> {
        let store = Store::open(&self.data.db()).map_err(|e| e.to_string())?;
        f(&store)
    }

    /// Runs `f` over a read connection to the ledger with the current prices and zone.
    pub fn read<T>(&self, f: impl FnOnce(&Store, &Pricer, Tz) -> Result<T, String>) -> Result<T, String> {
        let store = Store::open_readonly(&self.data.db()).map_err(|e| e.to_string())?;
        let table = self.data.price_table().map_err(|e| e.to_string())?;
        let pricer = Pricer::new(&table);
        let tz = self.tz()?;
        f(&store, &pricer, tz)
    }
}
