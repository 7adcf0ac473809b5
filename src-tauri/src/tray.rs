//! The tray icon and its menu: today's spend in the title and tooltip, one read-only line per
//! tool, Open dashboard, Tag last session…, Pause/Resume watching, Quit.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager, Wry};
use tokenworth_core::fmt::{tokens, usd};
use tokenworth_core::{dashboard, ingest, source};

use crate::state::{now_ms, AppState};

pub const TRAY_ID: &str = "tokenworth";

/// Handles to what `refresh` rewrites.
pub struct TrayItems {
    tray: TrayIcon<Wry>,
    today: MenuItem<Wry>,
    per_source: Vec<(&'static str, MenuItem<Wry>)>,
    /// "Format may have changed" for sources with unreadable records, else that all are read.
    drift: MenuItem<Wry>,
    pause: MenuItem<Wry>,
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let today = MenuItem::with_id(app, "today", "Today: reading logs…", false, None::<&str>)?;
    // One line per source that is turned on and can be read (Cursor's logs hold no tokens).
    let st = app.state::<AppState>();
    let sources = st.data.source_settings(&st.env).map(|s| s.enabled()).unwrap_or_else(|_| source::all());
    let per_source: Vec<(&'static str, MenuItem<Wry>)> = sources
        .iter()
        .filter(|s| s.readable())
        .map(|s| {
            let item = MenuItem::with_id(
                app,
                format!("src:{}", s.id()),
                format!("  {}: –", s.id()),
                false,
                None::<&str>,
            )?;
            Ok((s.id(), item))
        })
        .collect::<tauri::Result<_>>()?;
    let open = MenuItem::with_id(app, "open", "Open dashboard", true, None::<&str>)?;
    let tag = MenuItem::with_id(app, "tag-last", "Tag last session…", true, None::<&str>)?;
    let drift = MenuItem::with_id(app, "drift", "Every log format recognised", false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause watching", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let mut items: Vec<&dyn tauri::menu::IsMenuItem<Wry>> = vec![&today];
    for (_, i) in &per_source {
        items.push(i);
    }
    items.push(&drift);
    items.extend([&sep1 as &dyn tauri::menu::IsMenuItem<Wry>, &open, &tag, &pause, &sep2, &quit]);
    let menu = Menu::with_items(app, &items)?;
    let icon = Image::from_bytes(include_bytes!("../../icons/tray.png"))?;
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon)
        .tooltip("Tokenworth")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => crate::show_window(app, None),
            "tag-last" => tag_last(app),
            "pause" => {
                let st = app.state::<AppState>();
                let now_paused = !st.paused();
                st.set_paused(now_paused);
                refresh(app);
                let _ = app.emit("watcher-changed", serde_json::json!({"paused": now_paused}));
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    app.manage(TrayItems { tray, today, per_source, drift, pause });
    Ok(())
}

/// Re-reads today's totals and rewrites the tray's title, tooltip and menu lines.
pub fn refresh(app: &AppHandle) {
    let Some(items) = app.try_state::<TrayItems>() else { return };
    let st = app.state::<AppState>();
    let paused = st.paused();
    let _ = items.pause.set_text(if paused { "Resume watching" } else { "Pause watching" });
    if let Some(err) = st.last_error() {
        let short: String = err.chars().take(80).collect();
        let _ = items.today.set_text(format!("⚠ {short}"));
        let _ = items.tray.set_tooltip(Some(format!("Tokenworth: {err}")));
        let _ = items.tray.set_title(Some("⚠"));
        return;
    }
    match st.read(|store, pricer, tz| {
        dashboard::today_totals(store, pricer, tz, now_ms()).map_err(|e| e.to_string())
    }) {
        Ok(today) => {
            let t = &today.total;
            let line = format!("Today: {} · {} tokens", usd(t.cost_usd), tokens(t.total_tokens));
            let _ = items.today.set_text(&line);
            for (id, item) in &items.per_source {
                let text = match today.sources.get(*id) {
                    Some(s) => format!("  {id}: {} · {} tokens", usd(s.cost_usd), tokens(s.total_tokens)),
                    None => format!("  {id}: nothing today"),
                };
                let _ = item.set_text(text);
            }
            let suffix = if paused { " (paused)" } else { "" };
            // Sources whose records could not be read: their figures may be low.
            let drift = st.read(|store, _, _| ingest::stored_drift(store).map_err(|e| e.to_string()));
            let mut drifted: Vec<String> = drift
                .unwrap_or_default()
                .into_iter()
                .map(|(id, d)| format!("{id} ({} unreadable)", d.unreadable_records))
                .collect();
            drifted.sort();
            let warning = if drifted.is_empty() {
                let _ = items.drift.set_text("Every log format recognised");
                String::new()
            } else {
                let text = format!("⚠ Format may have changed: {}", drifted.join(", "));
                let _ = items.drift.set_text(&text);
                format!("\n{text}")
            };
            // Alerts that hold: a mark in the title, each one in the tooltip.
            let holding = st.holding();
            let mark = if holding.is_empty() { "" } else { " ⚠" };
            let alerts: String = holding.iter().map(|a| format!("\n⚠ {}", a.title)).collect();
            let _ = items.tray.set_title(Some(format!("{}{suffix}{mark}", usd(t.cost_usd))));
            let _ = items.tray.set_tooltip(Some(format!("Tokenworth — {line}{suffix}{warning}{alerts}")));
        }
        Err(e) => {
            // No figure that can no longer be read stays in the title.
            let _ = items.today.set_text(format!("⚠ {e}"));
            let _ = items.tray.set_title(Some("⚠"));
            let _ = items.tray.set_tooltip(Some(format!("Tokenworth: {e}")));
        }
    }
}

/// "Tag last session…": opens the Sessions view on the session that ended last.
fn tag_last(app: &AppHandle) {
    let st = app.state::<AppState>();
    let last =
        st.read(|store, _, _| tokenworth_core::outcomes::last_session(store).map_err(|e| e.to_string()));
    let id = last.ok().flatten().map(|s| s.session_id);
    crate::show_window(app, Some(("sessions", id.as_deref())));
}
