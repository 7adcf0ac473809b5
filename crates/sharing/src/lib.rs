//! Opt-in sharing with a Tokenworth team board, for the CLI and the tray app: the settings and
//! state of a membership (`settings`), the member token (`token`: OS keyring or a 0600 file), the
//! days built from the ledger (`payload`), the board's API (`client`), and the local audit log.
//!
//! Invariants:
//! - Nothing here opens a socket unless this machine joined a board and a sharing operation is
//!   asked for; building a preview never does.
//! - `preview` returns exactly the bodies `send` sends, in order: both come from [`plan`].
//! - A join stores nothing locally until the board said yes, and the settings only after the
//!   token is kept; a failure after the board's yes undoes the membership when it can.
//! - The token is never written to the settings, the audit log or an error message.
//! - Like core, this crate reads no process environment: the shells pass what they read.

pub mod client;
pub mod payload;
pub mod settings;
pub mod token;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use tokenworth_core::report::Pricer;
use tokenworth_core::store::{Store, StoreError};
use tokenworth_share as share;

pub use payload::Fields;
pub use settings::{LastSend, Settings, TokenStore};

use client::Client;

/// Why a sharing operation failed. Nothing was stored half-way.
#[derive(Debug)]
pub enum Error {
    /// The request itself: a refused address, not joined, already joined, a malformed code.
    Usage(String),
    /// The board could not be reached.
    Unreachable {
        board: String,
        reason: String,
    },
    /// The board refused (4xx) and said why.
    Refused {
        board: String,
        status: u16,
        reason: String,
    },
    /// The address answered something that is not the board's API, or the board failed (5xx).
    BadAnswer {
        board: String,
        detail: String,
    },
    /// A local file (settings, token, log).
    Local(String),
    Store(StoreError),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(s) | Error::Local(s) => f.write_str(s),
            Error::Unreachable { board, reason } => {
                write!(f, "cannot reach the board at {board} ({reason}); nothing was sent or changed")
            }
            Error::Refused { board, status, reason } => {
                let hint = match status {
                    401 => {
                        "; this device's token is revoked or expired: `tokenworth share leave` forgets it \
                         here, then join again with a new invite"
                    }
                    410 => "; ask the board's admin for a new invite, or `tokenworth share add-device` for a new device code",
                    409 => "; choose another with --name",
                    429 => "; try again in a minute",
                    _ => "",
                };
                write!(f, "the board at {board} refused (HTTP {status}): {reason}{hint}")
            }
            Error::BadAnswer { board, detail } => write!(
                f,
                "{board} did not answer as a Tokenworth board ({detail}); check the address, or try again \
                 later if the board is down"
            ),
            Error::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        Error::Store(e)
    }
}

/// A data dir's sharing: its settings, token and audit log.
pub struct Sharing {
    dir: PathBuf,
    use_keyring: bool,
}

/// What a join did.
#[derive(Debug, Clone, Serialize)]
pub struct Joined {
    pub board: String,
    pub team: String,
    pub member_id: String,
    pub device_id: String,
    pub alias: String,
    /// `keyring` or `file`.
    pub token_store: TokenStore,
    /// Why the token is in a file, when it is.
    #[serde(skip)]
    pub token_note: Option<String>,
    /// A device code was used (a second machine of the same member).
    pub device: bool,
}

/// The request bodies a send would send now, and the days left out because they are unchanged.
#[derive(Debug, Clone)]
pub struct Plan {
    /// (body, its days and their fingerprints), in send order.
    pub bodies: Vec<(String, Vec<(String, String)>)>,
    pub unchanged: u64,
}

impl Plan {
    pub fn days(&self) -> u64 {
        self.bodies.iter().map(|(_, d)| d.len() as u64).sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sent {
    pub sent: u64,
    pub unchanged: u64,
}

/// What `status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub sharing: bool,
    #[serde(flatten)]
    pub joined: Option<StatusJoined>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusJoined {
    pub board: String,
    pub team: String,
    pub alias: String,
    pub member_id: String,
    pub device_id: String,
    pub token_store: TokenStore,
    pub auto: bool,
    pub shared: SharedFields,
    pub excluded_projects: Vec<String>,
    pub window_days: u64,
    pub sent_days: u64,
    /// Days with usage whose payload changed since last sent (a send would send them).
    pub queued_days: u64,
    pub last_send: Option<LastSend>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct SharedFields {
    pub totals: bool,
    pub outcomes: bool,
    pub tools: bool,
    pub models: bool,
    pub commits: bool,
}

/// Changes `share fields` asks for.
#[derive(Debug, Clone, Default)]
pub struct FieldChanges {
    pub outcomes: Option<bool>,
    pub tools: Option<bool>,
    pub models: Option<bool>,
    pub commits: Option<bool>,
    pub exclude: Vec<String>,
    pub include: Vec<String>,
}

fn iso_now(now_ms: i64) -> String {
    tokenworth_core::fmt::iso_utc(now_ms)
}

fn utc_day(now_ms: i64) -> i64 {
    now_ms.div_euclid(86_400_000)
}

fn fingerprint(body: &str) -> String {
    format!("{:016x}", tokenworth_core::hash::fnv1a(body.as_bytes()))
}

const ADJECTIVES: [&str; 32] = [
    "amber", "brisk", "calm", "dusky", "eager", "fable", "gentle", "hazel", "ivory", "jolly", "keen",
    "lucid", "mellow", "nimble", "olive", "plucky", "quiet", "rustic", "sunny", "tidal", "umber", "vivid",
    "wily", "young", "zesty", "bold", "crisp", "dapper", "frosty", "golden", "humble", "lively",
];
const ANIMALS: [&str; 32] = [
    "otter", "heron", "badger", "falcon", "lynx", "marten", "newt", "osprey", "panda", "quail", "raven",
    "stoat", "tapir", "urchin", "vole", "walrus", "yak", "zebra", "bison", "crane", "dingo", "egret",
    "ferret", "gecko", "hare", "ibis", "jackal", "koala", "lemur", "moose", "narwhal", "owl",
];

/// A random two-word alias ("Brisk Otter"): never the OS user or host name.
pub fn random_alias() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
    );
    let r = h.finish();
    let cap = |s: &str| {
        let mut c = s.chars();
        c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
    };
    format!("{} {}", cap(ADJECTIVES[(r % 32) as usize]), cap(ANIMALS[((r >> 8) % 32) as usize]))
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LogEntry {
    /// UTC, ISO 8601.
    pub time: String,
    pub board: String,
    /// `PUT /api/v1/days`, `DELETE /api/v1/data?…`, `DELETE /api/v1/membership`.
    pub request: String,
    /// The HTTP status, or 0 when the board could not be reached.
    pub status: u16,
    /// The exact request body (empty for a DELETE).
    pub payload: String,
    /// The board's answer, or why there was none.
    pub answer: String,
}

impl Sharing {
    /// The sharing of the data dir `dir`; `use_keyring` false keeps the token in a file
    /// (TOKENWORTH_KEYRING=off in the shells).
    pub fn new(dir: &Path, use_keyring: bool) -> Sharing {
        Sharing { dir: dir.to_path_buf(), use_keyring }
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join(settings::LOG_FILE)
    }

    /// The settings, or None when not joined.
    pub fn settings(&self) -> Result<Option<Settings>, Error> {
        settings::load(&self.dir)
    }

    fn joined(&self) -> Result<Settings, Error> {
        self.settings()?.ok_or_else(|| {
            Error::Usage("sharing is off: join a board first with `tokenworth share join URL INVITE`".into())
        })
    }

    fn token(&self, s: &Settings) -> Result<String, Error> {
        token::load(&self.dir, s.token_store, &s.device_id)
    }

    /// Appends to the audit log (one JSON document per line, append only).
    fn audit(&self, e: &LogEntry) -> Result<(), Error> {
        let path = self.log_path();
        let local = |err: std::io::Error| Error::Local(format!("cannot append to {}: {err}", path.display()));
        let mut line = serde_json::to_string(e).map_err(|err| Error::Local(err.to_string()))?;
        line.push('\n');
        std::fs::create_dir_all(&self.dir).map_err(local)?;
        let mut o = std::fs::OpenOptions::new();
        o.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&path).map_err(local)?;
        f.write_all(line.as_bytes()).map_err(local)?;
        f.sync_data().map_err(local)
    }

    /// The audit log's entries, oldest first.
    pub fn log(&self) -> Result<Vec<LogEntry>, Error> {
        let path = self.log_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::Local(format!("cannot read {}: {e}", path.display()))),
        };
        Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
    }

    /// `share join URL CODE`: an invite (`twi_…`) makes a new member, a device code (`twd_…`) a
    /// new device of an existing one.
    pub fn join(&self, url: &str, code: &str, alias: Option<&str>, now_ms: i64) -> Result<Joined, Error> {
        if let Some(s) = self.settings()? {
            return Err(Error::Usage(format!(
                "already sharing with {} (team {}, as {}): `tokenworth share leave` first",
                s.board, s.team, s.alias
            )));
        }
        let code = code.trim();
        let device = if code.starts_with("twd_") {
            true
        } else if code.starts_with("twi_") {
            false
        } else {
            return Err(Error::Usage(
                "that is neither an invite (twi_…) nor a device code (twd_…): ask the board's admin for an invite"
                    .into(),
            ));
        };
        if device && alias.is_some() {
            return Err(Error::Usage(
                "--name is for a new member; a device code joins as the member who made it".into(),
            ));
        }
        if let Some(a) = alias {
            share::check_alias(a).map_err(|e| Error::Usage(format!("--name: {e}")))?;
        }
        let c = Client::new(url)?;
        let resp: share::JoinResponse = if device {
            let body = serde_json::to_string(&share::DeviceJoinRequest { code: code.into() })
                .map_err(|e| Error::Local(e.to_string()))?;
            c.call("POST", "/api/v1/devices/join", None, Some(&body))?
        } else {
            let mut tries = 0;
            loop {
                let name = alias.map_or_else(random_alias, str::to_string);
                let body = serde_json::to_string(&share::JoinRequest { invite: code.into(), alias: name })
                    .map_err(|e| Error::Local(e.to_string()))?;
                match c.call("POST", "/api/v1/join", None, Some(&body)) {
                    // A random alias that is taken: another one.
                    Err(Error::Refused { status: 409, .. }) if alias.is_none() && tries < 4 => tries += 1,
                    r => break r?,
                }
            }
        };
        // The board said yes: keep the token, then the settings; undo on failure.
        let undo = |c: &Client, token: &str| {
            if !device {
                let _ = c.raw("DELETE", "/api/v1/membership", Some(token), None);
            }
        };
        let me: Option<share::MeResponse> = c.call("GET", "/api/v1/me", Some(&resp.token), None).ok();
        let (store, note) = match token::save(&self.dir, self.use_keyring, &resp.device_id, &resp.token) {
            Ok(x) => x,
            Err(e) => {
                undo(&c, &resp.token);
                return Err(e);
            }
        };
        let s = Settings {
            board: c.base.clone(),
            team: resp.team.clone(),
            member_id: resp.member_id.clone(),
            device_id: resp.device_id.clone(),
            alias: me
                .as_ref()
                .and_then(|m| m.alias.clone())
                .unwrap_or_else(|| alias.unwrap_or("").to_string()),
            token_store: store,
            fields: Fields::default(),
            excluded_projects: Vec::new(),
            auto: false,
            window_days: me.as_ref().map_or(90, |m| m.window_days),
            sent: Default::default(),
            last_send: None,
            joined: iso_now(now_ms),
        };
        if let Err(e) = settings::save(&self.dir, &s) {
            token::forget(&self.dir, store, &resp.device_id);
            undo(&c, &resp.token);
            return Err(e);
        }
        Ok(Joined {
            board: s.board,
            team: s.team,
            member_id: s.member_id,
            device_id: s.device_id,
            alias: s.alias,
            token_store: store,
            token_note: note,
            device,
        })
    }

    /// `share add-device`: a single-use code for another machine.
    pub fn add_device(&self) -> Result<share::DeviceCodeResponse, Error> {
        let s = self.joined()?;
        let t = self.token(&s)?;
        Client::new(&s.board)?.call("POST", "/api/v1/devices/code", Some(&t), None)
    }

    /// What a send would send now (no network): the days inside the team's window (as last
    /// seen) and `range`, whose payload changed since they were last sent.
    pub fn plan(
        &self,
        s: &Settings,
        store: &Store,
        pricer: &Pricer,
        tz: Tz,
        now_ms: i64,
        range: (Option<NaiveDate>, Option<NaiveDate>),
    ) -> Result<Plan, Error> {
        let today = utc_day(now_ms);
        let mut first = today - s.window_days as i64 + 1;
        let mut last = today + 1;
        if let Some(d) = range.0 {
            first = first.max(payload::day_number(d));
        }
        if let Some(d) = range.1 {
            last = last.min(payload::day_number(d));
        }
        let mut plan = Plan { bodies: Vec::new(), unchanged: 0 };
        if first > last {
            return Ok(plan);
        }
        let scope = payload::Scope {
            fields: s.fields,
            excluded_projects: &s.excluded_projects,
            tz,
            first_day: first,
            last_day: last,
        };
        let days = payload::days(store, pricer, &scope)?;
        let mut changed = Vec::new();
        for d in days {
            let one = serde_json::to_string(&d).map_err(|e| Error::Local(e.to_string()))?;
            let fp = fingerprint(&one);
            if s.sent.get(&d.day) == Some(&fp) {
                plan.unchanged += 1;
            } else {
                changed.push((d, fp));
            }
        }
        for chunk in changed.chunks(share::MAX_DAYS_PER_REQUEST) {
            let req = share::SendRequest { days: chunk.iter().map(|(d, _)| d.clone()).collect() };
            let body = serde_json::to_string(&req).map_err(|e| Error::Local(e.to_string()))?;
            plan.bodies.push((body, chunk.iter().map(|(d, fp)| (d.day.clone(), fp.clone())).collect()));
        }
        Ok(plan)
    }

    /// `share preview`: the exact bodies `send` would send now, in order.
    pub fn preview(
        &self,
        store: &Store,
        pricer: &Pricer,
        tz: Tz,
        now_ms: i64,
        range: (Option<NaiveDate>, Option<NaiveDate>),
    ) -> Result<Vec<String>, Error> {
        let s = self.joined()?;
        Ok(self.plan(&s, store, pricer, tz, now_ms, range)?.bodies.into_iter().map(|(b, _)| b).collect())
    }

    /// `share send`: refreshes the team's window, then sends the days whose payload changed
    /// since they were last sent; each accepted body is logged and remembered at once.
    pub fn send(&self, store: &Store, pricer: &Pricer, tz: Tz, now_ms: i64) -> Result<Sent, Error> {
        let mut s = self.joined()?;
        let t = self.token(&s)?;
        let c = Client::new(&s.board)?;
        let me: share::MeResponse = c.call("GET", "/api/v1/me", Some(&t), None)?;
        if me.window_days != s.window_days {
            s.window_days = me.window_days;
            settings::save(&self.dir, &s)?;
        }
        let plan = self.plan(&s, store, pricer, tz, now_ms, (None, None))?;
        let mut sent = 0;
        for (body, days) in &plan.bodies {
            let result = c.raw("PUT", "/api/v1/days", Some(&t), Some(body));
            let (status, answer) = match &result {
                Ok(a) => (a.status, a.body.clone()),
                Err(e) => (0, e.to_string()),
            };
            self.audit(&LogEntry {
                time: iso_now(now_ms),
                board: s.board.clone(),
                request: "PUT /api/v1/days".into(),
                status,
                payload: body.clone(),
                answer: client::excerpt(&answer),
            })?;
            let outcome = result.and_then(|a| c.read::<share::SendResponse>("PUT", "/api/v1/days", a));
            match outcome {
                Ok(_) => {
                    for (day, fp) in days {
                        s.sent.insert(day.clone(), fp.clone());
                    }
                    sent += days.len() as u64;
                    s.last_send = Some(LastSend { time: iso_now(now_ms), status: "ok".into(), days: sent });
                    settings::save(&self.dir, &s)?;
                }
                Err(e) => {
                    s.last_send = Some(LastSend { time: iso_now(now_ms), status: e.to_string(), days: sent });
                    settings::save(&self.dir, &s)?;
                    return Err(e);
                }
            }
        }
        if plan.bodies.is_empty() {
            s.last_send = Some(LastSend { time: iso_now(now_ms), status: "ok".into(), days: 0 });
            settings::save(&self.dir, &s)?;
        }
        Ok(Sent { sent, unchanged: plan.unchanged })
    }

    /// `share withdraw`: deletes this member's days in the range (every day without one) on every
    /// device; returns the board's count of day rows deleted. The days count as not sent again
    /// here, and auto-send is turned off (returned: whether it was on).
    pub fn withdraw(
        &self,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        now_ms: i64,
    ) -> Result<(u64, bool), Error> {
        let mut s = self.joined()?;
        let t = self.token(&s)?;
        let c = Client::new(&s.board)?;
        let path = match (since, until) {
            (None, None) => "/api/v1/data".to_string(),
            (a, b) => format!(
                "/api/v1/data?from={}&to={}",
                a.map_or("0001-01-01".into(), |d| d.format("%Y-%m-%d").to_string()),
                b.map_or("9999-12-31".into(), |d| d.format("%Y-%m-%d").to_string())
            ),
        };
        let r: share::WithdrawResponse = self.logged(&c, &s, "DELETE", &path, &t, now_ms)?;
        let (from, to) = (
            since.map(|d| d.format("%Y-%m-%d").to_string()),
            until.map(|d| d.format("%Y-%m-%d").to_string()),
        );
        s.sent.retain(|day, _| {
            let after = from.as_ref().is_none_or(|f| day.as_str() >= f.as_str());
            let before = to.as_ref().is_none_or(|t| day.as_str() <= t.as_str());
            !(after && before)
        });
        let was_auto = s.auto;
        s.auto = false;
        settings::save(&self.dir, &s)?;
        Ok((r.deleted_days, was_auto))
    }

    fn logged<T: serde::de::DeserializeOwned>(
        &self,
        c: &Client,
        s: &Settings,
        method: &str,
        path: &str,
        token: &str,
        now_ms: i64,
    ) -> Result<T, Error> {
        let result = c.raw(method, path, Some(token), None);
        let (status, answer) = match &result {
            Ok(a) => (a.status, a.body.clone()),
            Err(e) => (0, e.to_string()),
        };
        self.audit(&LogEntry {
            time: iso_now(now_ms),
            board: s.board.clone(),
            request: format!("{method} {path}"),
            status,
            payload: String::new(),
            answer: client::excerpt(&answer),
        })?;
        result.and_then(|a| c.read(method, path, a))
    }

    /// `share leave`: withdraws everything, ends the membership and forgets the token and the
    /// settings. A board that no longer knows the token (revoked: the member was removed) is
    /// forgotten here too, and said so.
    pub fn leave(&self, now_ms: i64) -> Result<u64, Error> {
        let s = self.joined()?;
        let t = self.token(&s)?;
        let c = Client::new(&s.board)?;
        let r: Result<share::WithdrawResponse, Error> =
            self.logged(&c, &s, "DELETE", "/api/v1/membership", &t, now_ms);
        match r {
            Ok(r) => {
                self.forget(&s)?;
                Ok(r.deleted_days)
            }
            Err(Error::Refused { status: 401, board, reason }) => {
                self.forget(&s)?;
                Err(Error::Refused {
                    board,
                    status: 401,
                    reason: format!(
                        "{reason}; this machine's membership is forgotten here (settings and token). If days \
                         of yours remain on the board, its admin can remove them (tokenworth-board admin remove)"
                    ),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn forget(&self, s: &Settings) -> Result<(), Error> {
        token::forget(&self.dir, s.token_store, &s.device_id);
        settings::remove(&self.dir)
    }

    /// `share open`: a single-use sign-in link to the team's page (the board's address + link).
    pub fn signin_url(&self) -> Result<String, Error> {
        let s = self.joined()?;
        let t = self.token(&s)?;
        let c = Client::new(&s.board)?;
        let r: share::SigninResponse = c.call("POST", "/api/v1/signin", Some(&t), None)?;
        if !r.link.starts_with('/') {
            return Err(Error::BadAnswer {
                board: s.board,
                detail: "POST /api/v1/signin answered a link that is not a path on the board".into(),
            });
        }
        Ok(format!("{}{}", c.base, r.link))
    }

    /// `share status`; `plan` (from [`Sharing::plan`]) gives the queued days.
    pub fn status(&self, plan: Option<&Plan>) -> Result<Status, Error> {
        let Some(s) = self.settings()? else { return Ok(Status { sharing: false, joined: None }) };
        Ok(Status {
            sharing: true,
            joined: Some(StatusJoined {
                shared: SharedFields {
                    totals: true,
                    outcomes: s.fields.outcomes,
                    tools: s.fields.tools,
                    models: s.fields.models,
                    commits: s.fields.commits && s.fields.outcomes,
                },
                queued_days: plan.map_or(0, Plan::days),
                sent_days: s.sent.len() as u64,
                board: s.board,
                team: s.team,
                alias: s.alias,
                member_id: s.member_id,
                device_id: s.device_id,
                token_store: s.token_store,
                auto: s.auto,
                excluded_projects: s.excluded_projects,
                window_days: s.window_days,
                last_send: s.last_send,
            }),
        })
    }

    /// `share auto on|off`.
    pub fn set_auto(&self, on: bool) -> Result<(), Error> {
        let mut s = self.joined()?;
        s.auto = on;
        settings::save(&self.dir, &s)
    }

    /// `share fields …`: returns the settings as saved.
    pub fn set_fields(&self, ch: &FieldChanges) -> Result<Settings, Error> {
        let mut s = self.joined()?;
        if let Some(v) = ch.outcomes {
            s.fields.outcomes = v;
        }
        if let Some(v) = ch.tools {
            s.fields.tools = v;
        }
        if let Some(v) = ch.models {
            s.fields.models = v;
        }
        if let Some(v) = ch.commits {
            s.fields.commits = v;
        }
        for p in &ch.exclude {
            let p = p.trim();
            if p.is_empty() {
                return Err(Error::Usage("--exclude-project needs a project directory or name".into()));
            }
            if !s.excluded_projects.iter().any(|x| x == p) {
                s.excluded_projects.push(p.to_string());
            }
        }
        for p in &ch.include {
            s.excluded_projects.retain(|x| x != p.trim());
        }
        settings::save(&self.dir, &s)?;
        Ok(s)
    }
}

/// Opens `url` in the browser: `browser` (the value of `$BROWSER`: commands separated by `:`,
/// `%s` standing for the URL), else the OS's opener (`xdg-open`, `open`, `start`). True when one
/// started and did not fail within a few seconds.
pub fn open_in_browser(url: &str, browser: Option<&str>) -> bool {
    let mut candidates: Vec<Vec<String>> = Vec::new();
    if let Some(b) = browser {
        for cmd in b.split(':').map(str::trim).filter(|c| !c.is_empty()) {
            let mut parts: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
            if parts.iter().any(|p| p.contains("%s")) {
                for p in &mut parts {
                    *p = p.replace("%s", url);
                }
            } else {
                parts.push(url.to_string());
            }
            candidates.push(parts);
        }
    }
    if cfg!(target_os = "macos") {
        candidates.push(vec!["open".into(), url.into()]);
    } else if cfg!(windows) {
        candidates.push(vec!["cmd".into(), "/C".into(), "start".into(), String::new(), url.into()]);
    } else {
        candidates.push(vec!["xdg-open".into(), url.into()]);
    }
    for c in candidates {
        let Some((prog, args)) = c.split_first() else { continue };
        let child = std::process::Command::new(prog)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(mut child) = child else { continue };
        let started = std::time::Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(st)) if st.success() => return true,
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if started.elapsed() > std::time::Duration::from_secs(3) => return true,
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_aliases_are_two_valid_words() {
        for _ in 0..50 {
            let a = random_alias();
            assert_eq!(a.split(' ').count(), 2, "{a}");
            assert!(share::check_alias(&a).is_ok(), "{a}");
        }
    }

    #[test]
    fn not_joined_is_a_usage_error_and_touches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let sh = Sharing::new(dir.path(), false);
        assert!(matches!(sh.add_device(), Err(Error::Usage(_))));
        assert!(matches!(sh.withdraw(None, None, 0), Err(Error::Usage(_))));
        assert!(matches!(sh.set_auto(true), Err(Error::Usage(_))));
        assert!(!sh.status(None).unwrap().sharing);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // A refused address or code is refused before any connection.
        assert!(matches!(sh.join("http://10.0.0.5:8787", "twi_x", None, 0), Err(Error::Usage(_))));
        assert!(matches!(sh.join("https://b.example", "nope", None, 0), Err(Error::Usage(_))));
        assert!(matches!(sh.join("https://b.example", "twi_x", Some("<script>"), 0), Err(Error::Usage(_))));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
