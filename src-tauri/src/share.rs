//! The Sharing view's commands (docs/bridge.md) and the tray app's daily auto-send, thin over
//! `tokenworth-sharing`.
//!
//! Nothing here builds an HTTP client or touches the network unless this data dir joined a board
//! (`sharing.json` exists) and a user action (Join, Send now, Withdraw, Leave, Open board, Add
//! device) or the auto-send asks for it; status, preview, the audit log and the field choices
//! read local files and the ledger only.
//!
//! Auto-send: one thread (`tokenworth-share`), which exists only while sharing and auto-send are
//! on, sleeps until the next moment it has to act — the next deadline (10 minutes after local
//! midnight, when the day before is complete), or a retry after a failure (backoff from a minute
//! up to an hour) — and never ticks in between. A day is due once per deadline; the library's
//! `send` sends only the days whose payload changed since they were last sent, so a day is never
//! sent twice unless it changed, and days that could not be sent stay queued for the next try.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::{json, Value};
use tauri::{AppHandle, Emitter, Manager, State};
use tokenworth_core::report;
use tokenworth_core::Env;
use tokenworth_sharing::{self as sharing, FieldChanges, Settings, Sharing};

use crate::state::{now_ms, AppState};

type Res = Result<Value, String>;

/// The auto-send deadline: this long after local midnight (the day before is then complete).
pub const DEADLINE_AFTER_MIDNIGHT_MS: i64 = 10 * 60_000;
/// The first retry after a failed auto-send; each further failure doubles it, up to the cap.
pub const RETRY_FIRST_MS: i64 = 60_000;
pub const RETRY_MAX_MS: i64 = 3_600_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sharing's part of the app state.
pub struct ShareState {
    use_keyring: bool,
    /// One sharing operation at a time (a Send now while the auto-send runs waits for it).
    op: Mutex<()>,
    auto: Mutex<Auto>,
    wake: Condvar,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
struct Auto {
    /// The auto-send thread exists.
    running: bool,
    /// Bumped by every change that may move the next moment (the thread looks again).
    #[serde(skip)]
    generation: u64,
    #[serde(skip)]
    stop: bool,
    /// When the thread acts next (UTC ms).
    next_at: Option<i64>,
    /// Failed attempts in a row, and when the next one is.
    failures: u32,
    retry_at: Option<i64>,
    last_error: Option<String>,
    /// The last auto-send that went through.
    last_ok: Option<i64>,
}

impl ShareState {
    pub fn new(env: &Env) -> ShareState {
        // TOKENWORTH_KEYRING=off keeps the token in a 0600 file, as in the CLI.
        let use_keyring = !matches!(
            env.var("TOKENWORTH_KEYRING").map(str::to_ascii_lowercase).as_deref(),
            Some("off" | "0" | "no" | "false")
        );
        ShareState {
            use_keyring,
            op: Mutex::new(()),
            auto: Mutex::new(Auto::default()),
            wake: Condvar::new(),
        }
    }
}

fn sharing_of(st: &AppState) -> Sharing {
    Sharing::new(&st.data.root, st.share.use_keyring)
}

/// The library's message, with the CLI's commands named as the view's buttons.
pub fn message(e: &sharing::Error) -> String {
    e.to_string()
        .replace("join a board first with `tokenworth share join URL INVITE`", "join a board first")
        .replace("`tokenworth share leave` first", "leave that board first")
        .replace("`tokenworth share leave` forgets it here", "Leave forgets it here")
        .replace("`tokenworth share leave` cannot reach", "Leave cannot reach")
        .replace("`tokenworth share add-device`", "Add device on your other machine")
        .replace("choose another with --name", "choose another alias")
        .replace("--name is for a new member", "an alias is for a new member")
        .replace("--name: ", "alias: ")
}

fn msg(e: sharing::Error) -> String {
    message(&e)
}

fn to_value<T: serde::Serialize>(v: &T) -> Res {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

fn date(s: &Option<String>) -> Result<Option<NaiveDate>, String> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => report::parse_date(s).map(Some),
    }
}

fn joined(sh: &Sharing) -> Result<Settings, String> {
    sh.settings().map_err(msg)?.ok_or_else(|| {
        "sharing is off: join a board first (nothing leaves this machine until then)".to_string()
    })
}

/// Runs a sharing operation that may use the network off the main thread (the window stays
/// responsive while the board answers), one at a time.
async fn blocking<F>(app: AppHandle, f: F) -> Res
where
    F: FnOnce(&AppHandle, &AppState, &Sharing) -> Res + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || {
        let st = app.state::<AppState>();
        let _op = lock(&st.share.op);
        let sh = sharing_of(&st);
        f(&app, &st, &sh)
    })
    .await
    .map_err(|e| format!("the sharing operation stopped: {e}"))?
}

/// `share_status`: `tokenworth share status --json` (no network), plus what the view needs.
pub fn status_value(st: &AppState) -> Res {
    let sh = sharing_of(st);
    let settings = sh.settings().map_err(msg)?;
    let mut queue_error = None;
    let plan = match &settings {
        None => None,
        Some(s) => {
            match st.read(|store, pricer, tz| Ok(sh.plan(s, store, pricer, tz, now_ms(), (None, None)))) {
                Ok(Ok(p)) => Some(p),
                Ok(Err(e)) => {
                    queue_error = Some(message(&e));
                    None
                }
                Err(e) => {
                    queue_error = Some(e);
                    None
                }
            }
        }
    };
    let status = sh.status(plan.as_ref()).map_err(msg)?;
    let mut v = to_value(&status)?;
    if let Value::Object(o) = &mut v {
        if settings.is_none() {
            // What the join form shows when no alias is typed (the board gets a random one).
            o.insert("suggested_alias".into(), sharing::random_alias().into());
        }
        if let Some(p) = &plan {
            o.insert("unchanged_days".into(), p.unchanged.into());
        }
        o.insert("queue_error".into(), to_value(&queue_error)?);
        o.insert("keyring".into(), st.share.use_keyring.into());
        o.insert("log_file".into(), sh.log_path().display().to_string().into());
        let auto = lock(&st.share.auto).clone();
        let iso = |t: Option<i64>| t.map(tokenworth_core::fmt::iso_utc);
        let deadline = settings.as_ref().filter(|s| s.auto).and_then(|s| {
            let tz = st.tz().ok()?;
            match next_action(now_ms(), tz, Some(s), None) {
                Next::At(t) => Some(t),
                _ => None,
            }
        });
        o.insert(
            "auto_state".into(),
            json!({
                "running": auto.running,
                "next_at": iso(auto.next_at.or(deadline)),
                "retry_at": iso(auto.retry_at),
                "failures": auto.failures,
                "last_error": auto.last_error,
                "last_ok": iso(auto.last_ok),
            }),
        );
    }
    Ok(v)
}

#[tauri::command]
pub fn share_status(state: State<'_, AppState>) -> Res {
    status_value(&state)
}

/// `share_join`: an invite makes a new member, a device code another device of one.
#[tauri::command]
pub async fn share_join(app: AppHandle, url: String, code: String, alias: Option<String>) -> Res {
    blocking(app, move |app, _st, sh| {
        let alias = alias.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
        let j = sh.join(&url, &code, alias.as_deref(), now_ms()).map_err(msg)?;
        let mut v = to_value(&j)?;
        v["token_note"] = to_value(&j.token_note)?;
        poke(app, true);
        Ok(v)
    })
    .await
}

/// `share_preview`: exactly the bodies Send now sends, in order; `text` is byte for byte what
/// `tokenworth share preview` prints (one JSON document per line).
#[tauri::command]
pub fn share_preview(state: State<'_, AppState>, since: Option<String>, until: Option<String>) -> Res {
    let sh = sharing_of(&state);
    let s = joined(&sh)?;
    let range = (date(&since)?, date(&until)?);
    let plan =
        state.read(|store, pricer, tz| sh.plan(&s, store, pricer, tz, now_ms(), range).map_err(msg))?;
    let mut text = String::new();
    for (body, _) in &plan.bodies {
        text.push_str(body);
        text.push('\n');
    }
    let bodies: Vec<&str> = plan.bodies.iter().map(|(b, _)| b.as_str()).collect();
    Ok(json!({ "text": text, "bodies": bodies, "days": plan.days(), "unchanged": plan.unchanged }))
}

/// `share_send` (Send now): `{"sent":N,"unchanged":N}` as `tokenworth share send --json`.
#[tauri::command]
pub async fn share_send(app: AppHandle) -> Res {
    blocking(app, |app, st, sh| {
        let r = st.read(|store, pricer, tz| sh.send(store, pricer, tz, now_ms()).map_err(msg));
        // A send (even a failed one) moves the auto-send's next moment.
        poke(app, r.is_ok());
        to_value(&r?)
    })
    .await
}

/// `share_withdraw`: `{"deleted":N,"auto_was_on":bool}`; every day without a range.
#[tauri::command]
pub async fn share_withdraw(app: AppHandle, since: Option<String>, until: Option<String>) -> Res {
    blocking(app, move |app, _st, sh| {
        let (since, until) = (date(&since)?, date(&until)?);
        if let (Some(a), Some(b)) = (since, until) {
            if a > b {
                return Err(format!("the range is empty: {a} is after {b}"));
            }
        }
        let r = sh.withdraw(since, until, now_ms());
        poke(app, true);
        let (deleted, was_auto) = r.map_err(msg)?;
        Ok(json!({ "deleted": deleted, "auto_was_on": was_auto }))
    })
    .await
}

/// `share_leave`: `{"deleted":N}`; sharing is off afterwards.
#[tauri::command]
pub async fn share_leave(app: AppHandle) -> Res {
    blocking(app, |app, _st, sh| {
        let r = sh.leave(now_ms());
        // A revoked membership is forgotten here too (and said so): sharing is off either way.
        poke(app, true);
        Ok(json!({ "deleted": r.map_err(msg)? }))
    })
    .await
}

/// `share_open` (Open board): asks the board for a single-use sign-in link and opens it in the
/// browser (`$BROWSER`, else the OS's opener). The link is returned only when no browser started.
#[tauri::command]
pub async fn share_open(app: AppHandle) -> Res {
    blocking(app, |_app, st, sh| {
        let url = sh.signin_url().map_err(msg)?;
        let opened = sharing::open_in_browser(&url, st.env.var("BROWSER"));
        Ok(json!({ "opened": opened, "url": if opened { None } else { Some(url) } }))
    })
    .await
}

/// `share_add_device`: a single-use code that joins another machine as a device of this member.
#[tauri::command]
pub async fn share_add_device(app: AppHandle) -> Res {
    blocking(app, |_app, _st, sh| to_value(&sh.add_device().map_err(msg)?)).await
}

/// `share_set_auto`: daily auto-send on or off; returns `share_status`.
#[tauri::command]
pub fn share_set_auto(app: AppHandle, state: State<'_, AppState>, on: bool) -> Res {
    {
        let _op = lock(&state.share.op);
        sharing_of(&state).set_auto(on).map_err(msg)?;
    }
    poke(&app, true);
    status_value(&state)
}

/// `share_set_fields`: what is shared beside the day's totals; returns `share_status`.
#[tauri::command]
pub fn share_set_fields(
    state: State<'_, AppState>,
    outcomes: Option<bool>,
    tools: Option<bool>,
    models: Option<bool>,
    commits: Option<bool>,
    exclude: Option<Vec<String>>,
    include: Option<Vec<String>>,
) -> Res {
    {
        let _op = lock(&state.share.op);
        let ch = FieldChanges {
            outcomes,
            tools,
            models,
            commits,
            exclude: exclude.unwrap_or_default(),
            include: include.unwrap_or_default(),
        };
        sharing_of(&state).set_fields(&ch).map_err(|e| msg(e).replace("--exclude-project", "Exclude"))?;
    }
    status_value(&state)
}

/// `share_log`: the audit log, oldest first (`tokenworth share log --json`, as one array).
#[tauri::command]
pub fn share_log(state: State<'_, AppState>) -> Res {
    let entries = sharing_of(&state).log().map_err(msg)?;
    Ok(json!({ "entries": to_value(&entries)? }))
}

// ---------------------------------------------------------------- auto-send

/// What the auto-send does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Sharing or auto-send is off: no thread, no timer.
    Idle,
    SendNow,
    /// Sleep until then (UTC ms).
    At(i64),
}

/// The deadline of a local day: 10 minutes after its midnight.
pub fn deadline(tz: Tz, day: NaiveDate) -> i64 {
    report::local_midnight_ms(tz, day) + DEADLINE_AFTER_MIDNIGHT_MS
}

fn parse_iso_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

/// The decision, a pure function of the clock, the zone, the settings and a pending retry:
/// a send is due when the last deadline passed and no send went through since it.
pub fn next_action(now: i64, tz: Tz, s: Option<&Settings>, retry_at: Option<i64>) -> Next {
    let Some(s) = s.filter(|s| s.auto) else { return Next::Idle };
    let today = report::local_date(tz, now);
    let (passed, upcoming) = if now >= deadline(tz, today) {
        (deadline(tz, today), deadline(tz, today.succ_opt().unwrap_or(today)))
    } else {
        (deadline(tz, today.pred_opt().unwrap_or(today)), deadline(tz, today))
    };
    let last_ok = s.last_send.as_ref().filter(|l| l.status == "ok").and_then(|l| parse_iso_ms(&l.time));
    if last_ok.is_some_and(|t| t >= passed) {
        return Next::At(upcoming);
    }
    match retry_at {
        Some(r) if r > now => Next::At(r),
        _ => Next::SendNow,
    }
}

/// Whether a failed send is worth trying again soon (offline, the board down or busy), rather
/// than at the next deadline (a refusal the user has to act on: revoked token, …).
pub fn retryable(e: &sharing::Error) -> bool {
    matches!(
        e,
        sharing::Error::Unreachable { .. }
            | sharing::Error::BadAnswer { .. }
            | sharing::Error::Refused { status: 429, .. }
            | sharing::Error::Store(_)
    )
}

/// The wait before retry number `failures` (1, 2, 4 … minutes, at most an hour).
pub fn backoff_ms(failures: u32) -> i64 {
    (RETRY_FIRST_MS << failures.saturating_sub(1).min(12)).min(RETRY_MAX_MS)
}

/// A change that may move the auto-send's next moment (join, leave, auto on/off, a send, app
/// start): the thread looks again, and is started when sharing and auto-send are on. `fresh`
/// forgets a pending retry (the user acted).
pub fn poke(app: &AppHandle, fresh: bool) {
    let st = app.state::<AppState>();
    let mut a = lock(&st.share.auto);
    a.generation += 1;
    if fresh {
        a.failures = 0;
        a.retry_at = None;
        a.last_error = None;
    }
    if a.running {
        st.share.wake.notify_all();
        return;
    }
    if a.stop {
        return;
    }
    let on = sharing_of(&st).settings().ok().flatten().is_some_and(|s| s.auto);
    if !on {
        return;
    }
    let handle = app.clone();
    match std::thread::Builder::new().name("tokenworth-share".into()).spawn(move || auto_loop(handle)) {
        Ok(_) => a.running = true,
        Err(e) => a.last_error = Some(format!("cannot start the auto-send: {e}")),
    }
}

/// After an ingest: when the thread overslept its moment (the machine was suspended, and a
/// monotonic sleep does not count that time), it is woken to look at the clock again.
pub fn wake_if_late(app: &AppHandle) {
    let st = app.state::<AppState>();
    let a = lock(&st.share.auto);
    if a.running && a.next_at.is_some_and(|t| now_ms() >= t) {
        st.share.wake.notify_all();
    }
}

/// Quit: the thread ends at its next wake-up.
pub fn stop(app: &AppHandle) {
    let st = app.state::<AppState>();
    lock(&st.share.auto).stop = true;
    st.share.wake.notify_all();
}

fn auto_loop(app: AppHandle) {
    let st = app.state::<AppState>();
    loop {
        let (generation, retry_at) = {
            let a = lock(&st.share.auto);
            if a.stop {
                break;
            }
            (a.generation, a.retry_at)
        };
        let now = now_ms();
        let sh = sharing_of(&st);
        let settings = sh.settings().ok().flatten();
        let tz = st.tz().unwrap_or(chrono_tz::UTC);
        match next_action(now, tz, settings.as_ref(), retry_at) {
            Next::Idle => {
                let mut a = lock(&st.share.auto);
                if a.generation == generation {
                    a.running = false;
                    a.next_at = None;
                    return;
                }
            }
            Next::At(t) => {
                let mut a = lock(&st.share.auto);
                a.next_at = Some(t);
                while a.generation == generation && !a.stop {
                    let left = t - now_ms();
                    if left <= 0 {
                        break;
                    }
                    a = st
                        .share
                        .wake
                        .wait_timeout(a, Duration::from_millis(left as u64))
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
            Next::SendNow => {
                lock(&st.share.auto).next_at = None;
                let result = {
                    let _op = lock(&st.share.op);
                    st.read(|store, pricer, tz| Ok(sh.send(store, pricer, tz, now_ms())))
                };
                let mut a = lock(&st.share.auto);
                let now = now_ms();
                match result {
                    Ok(Ok(_)) => {
                        a.failures = 0;
                        a.retry_at = None;
                        a.last_error = None;
                        a.last_ok = Some(now);
                    }
                    Ok(Err(e)) => {
                        a.failures += 1;
                        a.retry_at = Some(if retryable(&e) {
                            now + backoff_ms(a.failures)
                        } else {
                            deadline(tz, report::local_date(tz, now).succ_opt().unwrap_or_default())
                        });
                        a.last_error = Some(message(&e));
                    }
                    Err(e) => {
                        // The ledger could not be read (locked, …): try again soon.
                        a.failures += 1;
                        a.retry_at = Some(now + backoff_ms(a.failures));
                        a.last_error = Some(e);
                    }
                }
                drop(a);
                let _ = app.emit("sharing-changed", json!({ "auto": true }));
            }
        }
    }
    lock(&st.share.auto).running = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenworth_sharing::{Fields, LastSend, TokenStore};

    fn settings(auto: bool, last: Option<(&str, &str)>) -> Settings {
        Settings {
            board: "http://127.0.0.1:1".into(),
            team: "demo".into(),
            member_id: "m".into(),
            device_id: "d".into(),
            alias: "Brisk Otter".into(),
            token_store: TokenStore::File,
            fields: Fields::default(),
            excluded_projects: Vec::new(),
            auto,
            window_days: 90,
            sent: Default::default(),
            last_send: last.map(|(time, status)| LastSend {
                time: time.into(),
                status: status.into(),
                days: 1,
            }),
            joined: "2026-03-01T00:00:00.000Z".into(),
        }
    }

    fn ms(s: &str) -> i64 {
        parse_iso_ms(s).unwrap()
    }

    const TZ: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn off_means_no_timer() {
        let now = ms("2026-03-10T12:00:00Z");
        assert_eq!(next_action(now, TZ, None, None), Next::Idle);
        assert_eq!(next_action(now, TZ, Some(&settings(false, None)), None), Next::Idle);
    }

    #[test]
    fn never_sent_is_due_now_then_waits_for_the_next_deadline() {
        let now = ms("2026-03-10T12:00:00Z");
        assert_eq!(next_action(now, TZ, Some(&settings(true, None)), None), Next::SendNow);
        // Sent after today's deadline (00:10 Berlin = 23:10 UTC the day before): tomorrow's.
        let s = settings(true, Some(("2026-03-10T11:00:00.000Z", "ok")));
        assert_eq!(next_action(now, TZ, Some(&s), None), Next::At(ms("2026-03-10T23:10:00Z")));
        // Before today's deadline, a send after yesterday's waits for today's.
        let early = ms("2026-03-09T23:05:00Z"); // 00:05 Berlin on the 10th
        let s = settings(true, Some(("2026-03-09T08:00:00.000Z", "ok")));
        assert_eq!(next_action(early, TZ, Some(&s), None), Next::At(ms("2026-03-09T23:10:00Z")));
        // At the deadline it is due.
        assert_eq!(next_action(ms("2026-03-09T23:10:00Z"), TZ, Some(&s), None), Next::SendNow);
    }

    #[test]
    fn a_failed_send_is_retried_at_the_backoff_not_before() {
        let now = ms("2026-03-10T12:00:00Z");
        let s = settings(true, Some(("2026-03-10T11:00:00.000Z", "cannot reach the board")));
        assert_eq!(next_action(now, TZ, Some(&s), None), Next::SendNow);
        assert_eq!(next_action(now, TZ, Some(&s), Some(now + 60_000)), Next::At(now + 60_000));
        assert_eq!(next_action(now + 60_000, TZ, Some(&s), Some(now + 60_000)), Next::SendNow);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(2), 120_000);
        assert_eq!(backoff_ms(7), RETRY_MAX_MS);
        assert_eq!(backoff_ms(40), RETRY_MAX_MS);
    }

    #[test]
    fn the_deadline_follows_the_zone_across_dst() {
        // Berlin moves to summer time on 2026-03-29: midnight is 22:00 UTC after, 23:00 before.
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(deadline(TZ, d("2026-03-29")), ms("2026-03-28T23:10:00Z"));
        assert_eq!(deadline(TZ, d("2026-03-30")), ms("2026-03-29T22:10:00Z"));
    }

    #[test]
    fn errors_name_the_views_buttons_not_cli_flags() {
        let e =
            sharing::Error::Refused { board: "https://b".into(), status: 409, reason: "alias taken".into() };
        assert!(message(&e).ends_with("choose another alias"), "{}", message(&e));
        let e = sharing::Error::Refused { board: "https://b".into(), status: 401, reason: "revoked".into() };
        assert!(!message(&e).contains("tokenworth share"), "{}", message(&e));
        assert!(retryable(&sharing::Error::Unreachable { board: "b".into(), reason: "x".into() }));
        assert!(!retryable(&e));
    }
}
