//! Budgets and alerts in the app: the alert watcher (`tokenworth-watch`) checks when the ledger
//! or the settings change and at its one deadline; each new alert becomes a desktop notification
//! (Tauri's notification plugin: org.freedesktop.Notifications on Linux), the tray marks what
//! holds, and the dashboard gets `alerts-changed`. The commands edit `[[budgets]]` and `[alerts]`
//! of config.toml as `tokenworth budget` does.

use serde::Deserialize;
use serde_json::{json, Value};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_notification::NotificationExt;
use tokenworth_core::alerts::AlertSettings;
use tokenworth_core::budget::{self, Budget, BudgetError, BudgetPeriod};
use tokenworth_core::store::Store;
use tokenworth_watch::{system_clock, AlertUpdate, AlertWatch};

use crate::state::{now_ms, AppState};

type Res = Result<Value, String>;

/// Starts the alert watcher; its updates notify, mark the tray and reach the dashboard.
pub(crate) fn start(app: &AppHandle) {
    let st = app.state::<AppState>();
    let handle = app.clone();
    match AlertWatch::start(st.data.clone(), st.env.clone(), system_clock(), move |u| on_update(&handle, u)) {
        Ok(w) => st.set_alerts(w),
        Err(e) => tracing::warn!(error = %e, "no alerts: the alert thread did not start"),
    }
}

fn on_update(app: &AppHandle, u: AlertUpdate) {
    for a in &u.new {
        tracing::info!(kind = a.kind, key = %a.key, "alert");
        if let Err(e) = app.notification().builder().title(&a.title).body(&a.body).show() {
            tracing::warn!(error = %e, "cannot show a notification");
        }
    }
    if let Some(e) = &u.error {
        tracing::warn!(error = %e, "alerts not checked");
    }
    app.state::<AppState>().set_holding(u.holding.clone());
    crate::tray::refresh(app);
    let _ = app.emit("alerts-changed", json!({"holding": u.holding, "new": u.new, "error": u.error}));
}

/// The `budgets` command's value: each budget's status, the alert settings and what holds.
fn budgets_value(state: &AppState) -> Res {
    let budgets = state.data.budgets().map_err(|e| e.to_string())?;
    let settings = state.data.alert_settings().map_err(|e| e.to_string())?;
    let statuses = if state.data.db().is_file() {
        state.read(|store, pricer, tz| {
            budget::status(store, pricer, &budgets, tz, now_ms()).map_err(|e| e.to_string())
        })?
    } else {
        Vec::new()
    };
    let mut v = budget::list_json(&statuses);
    v["alerts"] = serde_json::to_value(&settings).map_err(|e| e.to_string())?;
    v["holding"] = serde_json::to_value(state.holding()).map_err(|e| e.to_string())?;
    Ok(v)
}

#[tauri::command]
pub fn budgets(state: State<'_, AppState>) -> Res {
    budgets_value(&state)
}

fn period(s: &str) -> Result<BudgetPeriod, String> {
    BudgetPeriod::parse(s.trim())
        .ok_or_else(|| format!("'{s}' is not a period: use daily, weekly or monthly"))
}

/// An empty tool or project means none (a budget for everything).
fn scope_arg(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A number from the page, or the text a user typed (`20`, `$7.50`).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Amount {
    Number(f64),
    Text(String),
}

#[tauri::command]
pub fn set_budget(
    state: State<'_, AppState>,
    period: String,
    usd: Amount,
    source: Option<String>,
    project: Option<String>,
) -> Res {
    let limit_usd = match usd {
        Amount::Number(n) => budget::parse_amount(&n.to_string()),
        Amount::Text(t) => budget::parse_amount(&t),
    }?;
    let b = Budget {
        period: self::period(&period)?,
        limit_usd,
        source: scope_arg(source),
        project: scope_arg(project),
    };
    let db = state.data.db();
    let store = if db.is_file() { Some(Store::open_readonly(&db).map_err(|e| e.to_string())?) } else { None };
    budget::check(&b, store.as_ref()).map_err(|e| match e {
        BudgetError::Invalid(m) => m,
        e => e.to_string(),
    })?;
    drop(store);
    state.data.set_budget(&b).map_err(|e| e.to_string())?;
    state.alerts_changed();
    budgets_value(&state)
}

#[tauri::command]
pub fn remove_budget(
    state: State<'_, AppState>,
    period: String,
    source: Option<String>,
    project: Option<String>,
) -> Res {
    let (source, project) = (scope_arg(source), scope_arg(project));
    if !state
        .data
        .remove_budget(self::period(&period)?, source.as_deref(), project.as_deref())
        .map_err(|e| e.to_string())?
    {
        return Err(format!("there is no {period} budget for that tool and project"));
    }
    state.alerts_changed();
    budgets_value(&state)
}

#[tauri::command]
pub fn set_alerts(state: State<'_, AppState>, alerts: AlertSettings) -> Res {
    state.data.set_alert_settings(&alerts).map_err(|e| e.to_string())?;
    state.alerts_changed();
    budgets_value(&state)
}
