//! The dashboard's commands (docs/bridge.md): each one a thin call into `tokenworth-core`.
//! Errors are strings the UI shows as they are.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_autostart::ManagerExt;
use tokenworth_core::config::{self, PRICE_FIELDS};
use tokenworth_core::outcomes::{self, Outcome, TagError};
use tokenworth_core::report::{self, Filter};
use tokenworth_core::{backup, dashboard, ingest, source};

use crate::state::{now_ms, AppState};

type Res = Result<Value, String>;

fn to_value<T: serde::Serialize>(v: &T) -> Res {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn overview(state: State<'_, AppState>, days: Option<u32>) -> Res {
    state.read(|store, pricer, tz| {
        dashboard::overview(store, pricer, tz, now_ms(), days.unwrap_or(30)).map_err(|e| e.to_string())
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Range {
    since: Option<String>,
    until: Option<String>,
    source: Option<String>,
    project: Option<String>,
}

impl Range {
    fn filter(&self, tz: chrono_tz::Tz) -> Result<Filter, String> {
        // An empty field means no bound, as an empty source or project means all.
        let date = |s: &Option<String>| match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => report::parse_date(s).map(Some),
        };
        let (since, until) = (date(&self.since)?, date(&self.until)?);
        Filter::checked(tz, since, until, self.source.as_deref(), self.project.as_deref())
            .map_err(|e| e.to_string())
    }
}

#[tauri::command]
pub fn sessions(
    state: State<'_, AppState>,
    since: Option<String>,
    until: Option<String>,
    source: Option<String>,
    project: Option<String>,
) -> Res {
    let range = Range { since, until, source, project };
    state.read(|store, pricer, tz| {
        let rep = report::sessions(store, pricer, &range.filter(tz)?).map_err(|e| e.to_string())?;
        to_value(&rep)
    })
}

#[tauri::command]
pub fn session_requests(state: State<'_, AppState>, source: String, session_id: String) -> Res {
    state.read(|store, pricer, _tz| {
        let rows =
            report::session_requests(store, pricer, &source, &session_id).map_err(|e| e.to_string())?;
        Ok(json!({ "requests": to_value(&rows)? }))
    })
}

#[tauri::command]
pub fn sources(state: State<'_, AppState>) -> Res {
    sources_value(&state)
}

fn sources_value(state: &AppState) -> Res {
    let mut v = state.read(|store, pricer, _tz| {
        let settings = state.data.source_settings(&state.env).map_err(|e| e.to_string())?;
        let known = settings.all();
        let stats = ingest::stored_source_stats(store).map_err(|e| e.to_string())?;
        let drift = ingest::drift(store, &state.env, &known).map_err(|e| e.to_string())?;
        let unpriced = report::unpriced_models(store, pricer).map_err(|e| e.to_string())?;
        let table_version = state.data.price_table().map_err(|e| e.to_string())?.version().to_string();
        Ok(report::sources_json(&report::SourcesView {
            sources: &known,
            settings: &settings,
            env: &state.env,
            stats: &stats,
            drift: &drift,
            unpriced: &unpriced,
            data_dir: &state.data.root,
            db: &state.data.db(),
            price_version: &table_version,
        }))
    })?;
    let supported: Vec<&str> = source::all().iter().map(|s| s.id()).collect();
    if let Value::Object(o) = &mut v {
        o.insert("watcher".into(), json!({"paused": state.paused(), "roots": state.roots()}));
        o.insert("last_scan".into(), to_value(&state.last_scan())?);
        o.insert("last_error".into(), to_value(&state.last_error())?);
        o.insert("supported".into(), json!(supported));
    }
    Ok(v)
}

#[tauri::command]
pub fn settings(app: AppHandle, state: State<'_, AppState>) -> Res {
    settings_value(&app, &state)
}

fn settings_value(app: &AppHandle, state: &AppState) -> Res {
    let configured = state.data.configured_timezone().map_err(|e| e.to_string())?;
    let system = config::system_tz(&state.env);
    let overrides: Vec<Value> = state
        .data
        .price_overrides()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(model, fields)| {
            let mut o = serde_json::Map::new();
            o.insert("model".into(), model.into());
            for (k, v) in fields {
                o.insert(k, v.into());
            }
            Value::Object(o)
        })
        .collect();
    let autostart = app.autolaunch().is_enabled().unwrap_or(false);
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    Ok(json!({
        "timezone": configured.unwrap_or(system).name(),
        "timezone_source": if configured.is_some() { "config" } else { "system" },
        "system_timezone": system.name(),
        "timezones": zones,
        "data_dir": state.data.root.display().to_string(),
        "database": state.data.db().display().to_string(),
        "config_file": state.data.config().display().to_string(),
        "autostart": autostart,
        "price_overrides": overrides,
    }))
}

#[tauri::command]
pub fn set_timezone(app: AppHandle, state: State<'_, AppState>, timezone: Option<String>) -> Res {
    let tz = match timezone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(config::parse_tz(s)?),
    };
    state.data.set_timezone(tz).map_err(|e| e.to_string())?;
    crate::usage_changed(&app, 0);
    settings_value(&app, &state)
}

#[tauri::command]
pub fn set_autostart(app: AppHandle, state: State<'_, AppState>, enabled: bool) -> Res {
    let al = app.autolaunch();
    let r = if enabled { al.enable() } else { al.disable() };
    r.map_err(|e| format!("cannot change start at login: {e}"))?;
    settings_value(&app, &state)
}

#[tauri::command]
pub fn set_price_override(
    app: AppHandle,
    state: State<'_, AppState>,
    model: String,
    prices: Option<BTreeMap<String, Option<f64>>>,
) -> Res {
    let fields: Option<Vec<(String, f64)>> = prices.map(|p| {
        PRICE_FIELDS
            .iter()
            .filter_map(|k| p.get(*k).copied().flatten().map(|v| (k.to_string(), v)))
            .chain(p.keys().filter(|k| !PRICE_FIELDS.contains(&k.as_str())).map(|k| (k.clone(), f64::NAN)))
            .collect()
    });
    state.data.set_price_override(model.trim(), fields.as_deref()).map_err(|e| e.to_string())?;
    crate::usage_changed(&app, 0);
    settings_value(&app, &state)
}

#[tauri::command]
pub fn set_paused(app: AppHandle, state: State<'_, AppState>, paused: bool) -> Res {
    if !state.set_paused(paused) {
        return Err("the watcher is not running".into());
    }
    crate::tray::refresh(&app);
    let _ = app.emit("watcher-changed", json!({"paused": paused}));
    sources_value(&state)
}

/// Turns a source on or off and sets its extra log folders (config.toml), then restarts the
/// watcher on the new set of sources.
#[tauri::command]
pub fn set_source(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    enabled: bool,
    paths: Vec<String>,
) -> Res {
    state.data.set_source(&id, enabled, &paths).map_err(|e| e.to_string())?;
    if let Some(live) = state.take_live() {
        live.stop();
    }
    crate::start_watching(&app);
    crate::usage_changed(&app, 0);
    sources_value(&state)
}

#[tauri::command]
pub fn rescan(state: State<'_, AppState>) -> Res {
    if !state.rescan() {
        return Err("the watcher is not running".into());
    }
    Ok(Value::Null)
}

#[tauri::command]
pub fn tag_sessions(
    app: AppHandle,
    state: State<'_, AppState>,
    session_ids: Vec<String>,
    outcome: String,
    note: Option<String>,
    link: Option<String>,
) -> Res {
    let outcome: Outcome = outcome.parse().map_err(|e: TagError| e.to_string())?;
    let n = state.write(|store| {
        outcomes::tag_sessions(store, &session_ids, outcome, note.as_deref(), link.as_deref(), now_ms())
            .map_err(|e| e.to_string())
    })?;
    crate::usage_changed(&app, 0);
    Ok(json!({ "tagged": n }))
}

#[tauri::command]
pub fn clear_tags(app: AppHandle, state: State<'_, AppState>, session_ids: Vec<String>) -> Res {
    let n = state.write(|store| outcomes::clear_tags(store, &session_ids).map_err(|e| e.to_string()))?;
    crate::usage_changed(&app, 0);
    Ok(json!({ "cleared": n }))
}

#[tauri::command]
pub fn outcomes(state: State<'_, AppState>, since: Option<String>, until: Option<String>) -> Res {
    let range = Range { since, until, ..Range::default() };
    state.read(|store, pricer, tz| {
        let rep = outcomes::outcomes_report(store, pricer, &range.filter(tz)?).map_err(|e| e.to_string())?;
        to_value(&rep)
    })
}

/// What is known to be wrong with the ledger, and the snapshots a restore could take: the
/// dashboard offers a restore when `damaged` is not null.
#[tauri::command]
pub fn ledger_health(state: State<'_, AppState>) -> Res {
    let db = state.data.db();
    let damaged = backup::known_damage(&db);
    let (dir, snapshots, newest_sound, problem) = match state.data.backup_settings(&state.env) {
        Err(e) => (None, Vec::new(), None, Some(e.to_string())),
        Ok(settings) => {
            let list = backup::list(&settings.dir).unwrap_or_default();
            let rows: Vec<Value> =
                list.iter().map(|s| json!({"path": s.path, "taken": report::iso_utc(s.taken_ms)})).collect();
            // Checking snapshots reads them whole: only when a restore is on offer.
            let newest = if damaged.is_some() {
                backup::newest_sound(&settings.dir).ok().and_then(|(p, _)| p)
            } else {
                None
            };
            (Some(settings.dir), rows, newest, None)
        }
    };
    Ok(json!({
        "database": db,
        "damaged": damaged,
        "snapshot_dir": dir,
        "snapshots": snapshots,
        "restore_from": newest_sound,
        "problem": problem,
    }))
}

/// Puts a snapshot back (the newest sound one when none is named), as `tokenworth restore`:
/// the watcher stops, the ledger that was there is kept aside, and watching starts again on the
/// restored ledger (its first scan reads again what the logs hold since the snapshot).
#[tauri::command]
pub fn restore_ledger(app: AppHandle, state: State<'_, AppState>, snapshot: Option<String>) -> Res {
    let db = state.data.db();
    let snapshot = match snapshot.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) => std::path::PathBuf::from(s),
        None => {
            let settings = state.data.backup_settings(&state.env).map_err(|e| e.to_string())?;
            let (found, _) = backup::newest_sound(&settings.dir).map_err(|e| e.to_string())?;
            found.ok_or_else(|| format!("no sound snapshot in {} to restore from", settings.dir.display()))?
        }
    };
    // No connection of this app may stay on the file that goes aside.
    if let Some(live) = state.take_live() {
        live.stop();
    }
    let restored = backup::restore(&db, &snapshot, now_ms());
    state.set_error(None);
    crate::start_watching(&app);
    crate::usage_changed(&app, 0);
    // `error` always given: null clears what the sidebar showed while the ledger was refused.
    let _ = app.emit("watcher-changed", json!({"paused": state.paused(), "error": state.last_error()}));
    let r = restored.map_err(|e| e.to_string())?;
    Ok(json!({"restored": r.snapshot, "kept_aside": r.kept_aside}))
}
