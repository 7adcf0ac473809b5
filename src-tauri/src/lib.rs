//! `tokenworth-app`: the tray app. A thin shell: the watcher (`tokenworth-watch`) ingests what the
//! tools write, the core crate answers every query, and this crate wires them to a tray icon, a
//! menu and the dashboard window (ui/, through the commands in `commands`).

mod alerts;
pub mod args;
mod commands;
mod log;
mod share;
mod state;
mod tray;

use std::io::Write;
use std::time::Instant;

use tauri::{Emitter, Manager, RunEvent, WindowEvent};
use tokenworth_core::config::DataDir;
use tokenworth_core::{outcomes, Env};
use tokenworth_watch::{LedgerWatch, Live, LiveConfig, LiveEvent};

use state::AppState;

/// Runs the app; returns the process exit code.
pub fn run() -> i32 {
    let launched = Instant::now();
    let env = Env::from_process();
    let args = match args::parse(std::env::args().skip(1), &env) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "tokenworth-app: {e}");
            return 2;
        }
    };
    if args.help {
        println!("{}", args::USAGE);
        return 0;
    }
    if args.version {
        println!("tokenworth-app {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    if env.var("DISPLAY").is_none() && env.var("WAYLAND_DISPLAY").is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "tokenworth-app: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); the tokenworth CLI works without one"
        );
        return 1;
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    if let Some((var, value)) = webview_locale_fix(&env) {
        // Before any thread starts; the webview's processes inherit it.
        std::env::set_var(var, value);
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    if let Some((var, value)) = tray_gl_fix(&env, args.hidden) {
        // Before GTK starts (it reads GDK_GL once, at display open).
        std::env::set_var(var, value);
    }
    let data = DataDir::resolve(args.data_dir.clone(), &env);
    log::install(&data, &env);
    let hidden = args.hidden;
    let timing = env.var("TOKENWORTH_APP_TIMING").is_some();
    let app_state = AppState::new(env, data, launched, timing);

    let builder = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| show_window(app, None)))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_notification::init())
        .manage(app_state)
        .invoke_handler(tauri::generate_handler![
            commands::overview,
            commands::sessions,
            commands::session_requests,
            commands::sources,
            commands::set_source,
            commands::settings,
            commands::set_timezone,
            commands::set_autostart,
            commands::set_price_override,
            commands::set_paused,
            commands::rescan,
            commands::tag_sessions,
            commands::clear_tags,
            commands::outcomes,
            commands::ledger_health,
            commands::restore_ledger,
            share::share_status,
            share::share_join,
            share::share_preview,
            share::share_send,
            share::share_withdraw,
            share::share_leave,
            share::share_open,
            share::share_add_device,
            share::share_set_auto,
            share::share_set_fields,
            share::share_log,
            alerts::budgets,
            alerts::set_budget,
            alerts::remove_budget,
            alerts::set_alerts,
        ])
        .setup(move |app| {
            tray::build(app.handle())?;
            // Alerts first: the watcher's first flush pokes them. Started after it, a first
            // check that ran before the first ingest committed could miss that poke and sleep
            // to its next deadline with nothing known (the e2e Alerts test caught it once).
            alerts::start(app.handle());
            start_watching(app.handle());
            // The auto-send thread starts only when this data dir shares and auto-send is on.
            share::poke(app.handle(), false);
            if !hidden {
                show_window(app.handle(), None);
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window destroys it and its webview, so the web content process and
            // its memory go with it; the tray stays (see `ExitRequested` below) and "Open
            // dashboard" builds a new one.
            if let WindowEvent::Destroyed = event {
                window.app_handle().state::<AppState>().log_timing("dashboard closed");
                release_free_memory();
            }
        });
    let app = match builder.build(tauri::generate_context!()) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "tokenworth-app: cannot start: {e}");
            return 1;
        }
    };
    app.run(|handle, event| match event {
        RunEvent::ExitRequested { code: None, api, .. } => {
            // The last window closing is not a reason to leave the tray; Quit passes a code.
            api.prevent_exit();
        }
        RunEvent::Exit => {
            share::stop(handle);
            if let Some(w) = handle.state::<AppState>().take_alerts() {
                w.stop();
            }
            if let Some(live) = handle.state::<AppState>().take_live() {
                live.stop();
            }
        }
        _ => {}
    });
    0
}

/// Under the C locale as most services, containers and CI machines set it (`C.UTF-8`),
/// WebKitGTK turns the character locale into the page's language tag "C", which every `Intl`
/// constructor rejects with a RangeError, so the dashboard's chart library failed to load and
/// the window stayed blank. WebKit maps a plain `C`/`POSIX` locale, or one that `setlocale`
/// cannot load, to en-US, so the character locale is set to `en_US.UTF-8` in that case.
/// Returns the variable to set and its value, when one is needed.
pub fn webview_locale_fix(env: &Env) -> Option<(&'static str, &'static str)> {
    let set = |k: &str| env.var(k).filter(|v| !v.is_empty());
    let (var, locale) = match (set("LC_ALL"), set("LC_CTYPE"), set("LANG")) {
        (Some(l), _, _) => ("LC_ALL", Some(l)),
        (None, Some(l), _) => ("LC_CTYPE", Some(l)),
        (None, None, l) => ("LC_CTYPE", l),
    };
    let base = locale.map(|l| l.split(['.', '@']).next().unwrap_or(""));
    match base {
        None | Some("C") | Some("POSIX") | Some("") => Some((var, "en_US.UTF-8")),
        Some(_) => None,
    }
}

/// GTK 3 opens OpenGL when it opens the X display (to pick visuals that GL can draw to), which
/// loads Mesa and, with a software renderer, LLVM: 50 MB of the resting tray's RSS for a process
/// that draws no GL until a dashboard opens. Started `--hidden` (at login), the app is a tray
/// first, so it runs with `GDK_GL=disable`: a dashboard opened later renders the same (WebKit
/// then composites in software, as it does under Xvfb anyway). Started to show the dashboard, it
/// keeps GTK's default. A `GDK_GL` of the user's, or `TOKENWORTH_GL=1`, always wins.
/// Returns the variable to set and its value, when one is needed.
pub fn tray_gl_fix(env: &Env, hidden: bool) -> Option<(&'static str, &'static str)> {
    if !hidden || env.var("GDK_GL").is_some() || env.var("TOKENWORTH_GL") == Some("1") {
        return None;
    }
    Some(("GDK_GL", "disable"))
}

/// A flush that read this much (the first scan of a long history) leaves the allocator holding
/// freed memory worth giving back.
const RELEASE_AFTER_BYTES: u64 = 8 << 20;

/// Gives the memory glibc keeps in its arenas after a burst (a large ingest's parsed events,
/// a closed dashboard's webview) back to the system, so the resting tray stays small.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim takes no pointers and only walks glibc's own arenas under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Label of the dashboard window.
const DASHBOARD: &str = "main";

/// Shows the dashboard, building its window (and webview) when there is none: the app keeps no
/// webview while the dashboard is closed. `view` (and a session id) opens a view: passed to a
/// new page in its address, sent to an open one as a `navigate` event.
pub(crate) fn show_window(app: &tauri::AppHandle, view: Option<(&str, Option<&str>)>) {
    if let Some(w) = app.get_webview_window(DASHBOARD) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
        if let Some((view, session)) = view {
            let _ = app.emit("navigate", serde_json::json!({"view": view, "sessionId": session}));
        }
        return;
    }
    let mut page = String::from("index.html");
    if let Some((view, session)) = view {
        page.push_str("#view=");
        page.push_str(&url_component(view));
        if let Some(id) = session {
            page.push_str("&session=");
            page.push_str(&url_component(id));
        }
    }
    let built = tauri::WebviewWindowBuilder::new(app, DASHBOARD, tauri::WebviewUrl::App(page.into()))
        .title("Tokenworth")
        .inner_size(1040.0, 720.0)
        .min_inner_size(720.0, 480.0)
        .build();
    match built {
        Ok(w) => {
            let _ = w.set_focus();
            app.state::<AppState>().log_timing("dashboard opened");
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "tokenworth-app: cannot open the dashboard: {e}");
        }
    }
}

/// Percent-encodes all but unreserved characters (RFC 3986), for a page address.
fn url_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Starts the watcher; its events update the tray and tell the dashboard to re-query.
pub(crate) fn start_watching(app: &tauri::AppHandle) {
    let st = app.state::<AppState>();
    let mut cfg = LiveConfig::new(st.env.clone(), st.data.db());
    // `[sources.<id>]` in config.toml: sources turned off are not watched; extra folders are.
    match st.data.source_settings(&st.env) {
        Ok(settings) => cfg.sources = settings.enabled(),
        Err(e) => {
            tracing::warn!(error = %e, "every source is watched");
            let _ = writeln!(std::io::stderr(), "tokenworth-app: {e}; every source is watched");
        }
    }
    // The daily snapshot (`[backup]` of config.toml), taken by the watcher before its first write
    // of a day.
    match st.data.backup_settings(&st.env) {
        Ok(b) => cfg.snapshots = Some(b),
        Err(e) => {
            tracing::warn!(error = %e, "no daily snapshots");
            let _ = writeln!(std::io::stderr(), "tokenworth-app: {e}; no daily snapshots");
        }
    }
    // The ledger keeps its per-day sums in the zone the dashboard shows days in.
    cfg.day_zone = st.tz().ok();
    let handle = app.clone();
    let result = Live::start(cfg, move |ev| on_live_event(&handle, ev));
    // Commits by other processes (the CLI scanning or tagging beside the app) show up too.
    let handle = app.clone();
    match LedgerWatch::start(&st.data.db(), std::time::Duration::from_millis(100), move || {
        usage_changed(&handle, 0)
    }) {
        Ok(w) => st.set_ledger_watch(w),
        Err(e) => {
            tracing::warn!(error = %e, "changes made by the CLI show after the next log change");
            let _ = writeln!(
                std::io::stderr(),
                "tokenworth-app: {e}; changes made by the CLI show after the next log change"
            );
        }
    }
    match result {
        Ok(live) => st.set_live(live),
        Err(e) => {
            if let tokenworth_core::store::StoreError::Damaged { path, detail } = &e {
                // Nothing more is written to it until it is restored (the dashboard offers that).
                tokenworth_core::store::mark_damaged(path, detail);
            }
            let msg = format!("cannot open the ledger {}: {e}", st.data.db().display());
            tracing::error!(error = %e, "cannot open the ledger");
            let _ = writeln!(std::io::stderr(), "tokenworth-app: {msg}");
            st.set_error(Some(msg.clone()));
            tray::refresh(app);
            let _ = app.emit("watcher-changed", serde_json::json!({"paused": false, "error": msg}));
        }
    }
}

/// The numbers changed (an ingest, another process's commit, a setting): the tray re-reads
/// today's totals and the dashboard re-queries what it shows.
pub(crate) fn usage_changed(app: &tauri::AppHandle, events: usize) {
    tray::refresh(app);
    app.state::<AppState>().alerts_changed();
    let _ = app.emit("usage-changed", serde_json::json!({"events": events, "at": state::now_iso()}));
}

fn on_live_event(app: &tauri::AppHandle, ev: LiveEvent) {
    let st = app.state::<AppState>();
    match ev {
        LiveEvent::Flushed { events, bytes, duration, .. } => {
            let recovered = st.last_error().is_some();
            st.record_scan(events, bytes, duration);
            if recovered {
                tracing::info!("the watcher records again");
                let _ =
                    app.emit("watcher-changed", serde_json::json!({"paused": st.paused(), "error": null}));
            }
            if bytes >= RELEASE_AFTER_BYTES {
                release_free_memory();
            }
            usage_changed(app, events);
            share::wake_if_late(app);
            st.note_first_flush();
            // Sessions that grew may have new commits; git runs only for sessions that are due.
            let linked = st.write(|store| {
                outcomes::link_commits(store, &st.env, state::now_ms()).map_err(|e| e.to_string())
            });
            match &linked {
                Ok(r) => {
                    for w in &r.warnings {
                        tracing::debug!(warning = %w, "commit linking");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "commit linking failed"),
            }
            if linked.is_ok_and(|r| r.commits_found > 0) {
                usage_changed(app, 0);
            }
        }
        LiveEvent::Error(msg) => {
            tracing::error!(error = %msg, "watcher");
            st.set_error(Some(msg.clone()));
            // The tray and the open views read again: what cannot be read now is not shown.
            usage_changed(app, 0);
            let _ = app.emit("watcher-changed", serde_json::json!({"paused": st.paused(), "error": msg}));
        }
        LiveEvent::Roots(roots) => {
            st.set_roots(roots);
            let _ = app.emit("watcher-changed", serde_json::json!({"paused": st.paused()}));
        }
        LiveEvent::Waiting => {
            let _ = app.emit("watcher-changed", serde_json::json!({"paused": true, "waiting": true}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_component;

    #[test]
    fn page_addresses_carry_any_session_id_intact() {
        assert_eq!(url_component("sessions"), "sessions");
        assert_eq!(url_component("d2fbd00e-815a_4c99.8b72~x"), "d2fbd00e-815a_4c99.8b72~x");
        // What URLSearchParams would misread (`&`, `=`, `#`, `+`, `%`, spaces) and non-ASCII.
        assert_eq!(url_component("a&b=c#d+e%f g/ü"), "a%26b%3Dc%23d%2Be%25f%20g%2F%C3%BC");
    }
}
