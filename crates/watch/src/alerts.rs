//! The alert watcher: runs [`tokenworth_core::alerts::check`] when the ledger or the settings
//! change, and at the one moment the check named as the next one that can change something
//! without a write (a day rolling over, a running session reaching its idle minutes). One thread,
//! `tokenworth-alert`, asleep in a `recv` or a `recv_timeout` to that deadline: no periodic tick.
//!
//! What has fired is saved in the data dir after each check, so an alert that still holds is not
//! shown again after a restart. The shell (the tray app) gets an [`AlertUpdate`] when new alerts
//! fire or the set that holds changes, and shows them; this crate knows nothing of how.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokenworth_core::alerts::{self, Alert};
use tokenworth_core::config::{self, DataDir};
use tokenworth_core::report::Pricer;
use tokenworth_core::store::Store;
use tokenworth_core::Env;

use crate::Clock;

/// Name of the alert thread (15 bytes at most: Linux's limit).
pub const ALERT_THREAD_NAME: &str = "tokenworth-alert";

/// What the shell is told after a check.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AlertUpdate {
    /// Alerts to show now: each fires once while its condition holds.
    pub new: Vec<Alert>,
    /// Every alert whose condition holds (for a mark in the tray and the dashboard).
    pub holding: Vec<Alert>,
    /// Why the last check could not run (an unreadable config.toml, a ledger that cannot be
    /// read); the alerts that held before are kept until a check runs again.
    pub error: Option<String>,
}

enum Msg {
    Changed,
    Stop,
}

/// The running alert watcher. Dropping it stops it.
pub struct AlertWatch {
    tx: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

impl AlertWatch {
    /// Starts the thread, which checks once at once. `on_update` runs on it.
    pub fn start(
        data: DataDir,
        env: Env,
        clock: Clock,
        on_update: impl Fn(AlertUpdate) + Send + 'static,
    ) -> std::io::Result<AlertWatch> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new().name(ALERT_THREAD_NAME.to_owned()).spawn(move || {
            let mut last: Option<AlertUpdate> = None;
            loop {
                let now_ms = clock();
                let (mut update, next_ms) = check_once(&data, &env, now_ms);
                if update.error.is_some() {
                    update.holding = last.as_ref().map(|l| l.holding.clone()).unwrap_or_default();
                }
                let changed = match &last {
                    None => true,
                    Some(l) => {
                        !update.new.is_empty() || l.holding != update.holding || l.error != update.error
                    }
                };
                if changed {
                    on_update(update.clone());
                }
                last = Some(update);
                let msg = match next_ms {
                    Some(at) => {
                        // The deadline, from the time the check used: a jumped wall clock is
                        // caught by the next write or the deadline after it.
                        let wait = Duration::from_millis((at - now_ms).max(0) as u64 + 50);
                        match rx.recv_timeout(wait) {
                            Ok(m) => Some(m),
                            Err(RecvTimeoutError::Timeout) => None,
                            Err(RecvTimeoutError::Disconnected) => Some(Msg::Stop),
                        }
                    }
                    None => Some(rx.recv().unwrap_or(Msg::Stop)),
                };
                if matches!(msg, Some(Msg::Stop)) {
                    return;
                }
                // A burst of writes is one check.
                while let Ok(m) = rx.try_recv() {
                    if matches!(m, Msg::Stop) {
                        return;
                    }
                }
            }
        })?;
        Ok(AlertWatch { tx, thread: Some(thread) })
    }

    /// The ledger or the settings changed: check again.
    pub fn changed(&self) {
        let _ = self.tx.send(Msg::Changed);
    }

    /// Stops the thread and waits for it.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for AlertWatch {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

/// One check: the update and the next deadline (ms).
fn check_once(data: &DataDir, env: &Env, now_ms: i64) -> (AlertUpdate, Option<i64>) {
    let run = || -> Result<(AlertUpdate, Option<i64>), String> {
        let settings = data.alert_settings().map_err(|e| e.to_string())?;
        let budgets = data.budgets().map_err(|e| e.to_string())?;
        if !data.db().exists() {
            return Ok((AlertUpdate::default(), None));
        }
        let store = Store::open_readonly(&data.db()).map_err(|e| e.to_string())?;
        let table = data.price_table().map_err(|e| e.to_string())?;
        let pricer = Pricer::new(&table);
        let tz = config::effective_tz(None, data, env).map_err(|e| e.to_string())?;
        let mut fired = data.fired_alerts();
        let before = fired.clone();
        let checked = alerts::check(&store, &pricer, &settings, &budgets, tz, now_ms, &mut fired)
            .map_err(|e| e.to_string())?;
        if fired != before {
            if let Err(e) = data.save_fired_alerts(&fired) {
                // Shown again after a restart at worst.
                tracing::warn!(error = %e, "cannot save the alerts that fired");
            }
        }
        Ok((AlertUpdate { new: checked.new, holding: checked.holding, error: None }, checked.next_ms))
    };
    match run() {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "alerts not checked");
            (AlertUpdate { error: Some(e), ..AlertUpdate::default() }, None)
        }
    }
}
