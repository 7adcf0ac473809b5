//! What the board does with its store: teams, invites, members, devices, sends, withdrawals,
//! sign-in. Every operation is one transaction on either engine (see [`crate::db`]); a request
//! is checked in full before anything is written, so a refused request stores nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokenworth_share::{self as share, format_day, micros, Invalid, SendRequest};

use crate::db::{Db, DbError, Tx, Val};
use crate::params;
use crate::secret;

/// The smallest minimum group size a team may have.
pub const MIN_GROUP_FLOOR: i64 = 3;
pub const DEFAULT_MIN_GROUP: i64 = 5;
pub const DEFAULT_WINDOW_DAYS: i64 = 90;
/// How long a member token lives.
pub const TOKEN_SECONDS: i64 = 365 * 86_400;
pub const DEVICE_CODE_SECONDS: i64 = 10 * 60;
pub const SIGNIN_SECONDS: i64 = 120;
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// Why an operation did not happen: an HTTP status and a reason for the person.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    pub status: u16,
    pub reason: String,
}

impl Fail {
    pub fn new(status: u16, reason: impl Into<String>) -> Fail {
        Fail { status, reason: reason.into() }
    }
    pub fn bad(reason: impl Into<String>) -> Fail {
        Fail::new(400, reason)
    }
    pub fn unauthorized(reason: impl Into<String>) -> Fail {
        Fail::new(401, reason)
    }
    pub fn not_found(reason: impl Into<String>) -> Fail {
        Fail::new(404, reason)
    }
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Fail {}

impl From<DbError> for Fail {
    fn from(e: DbError) -> Self {
        tracing::error!("store: {e}");
        match e {
            DbError::Retry => Fail::new(503, "the store is busy; try again"),
            _ => Fail::new(500, "the store failed; see the server log"),
        }
    }
}

impl From<Invalid> for Fail {
    fn from(e: Invalid) -> Self {
        Fail::bad(e.0)
    }
}

pub type Res<T> = Result<T, Fail>;

/// The UTC day number of a unix time.
pub fn utc_day(now: i64) -> i64 {
    now.div_euclid(86_400)
}

/// A team's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub name: String,
    pub min_group: i64,
    pub window_days: i64,
}

/// The member and device a token speaks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub member_id: String,
    pub device_id: String,
    pub team: String,
}

/// Who is looking at a team's page: one of its members, or the admin.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    pub team: String,
    pub member_id: Option<String>,
}

/// A member as the admin sees them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MemberRow {
    pub member_id: String,
    pub alias: String,
    pub devices: i64,
    pub days: i64,
    pub last_day: Option<String>,
}

/// What the board remembers between requests, beside the store: when each team's window was
/// last applied and its recent median day (for the review checks).
#[derive(Default)]
pub struct Memory {
    purged: Mutex<HashMap<String, i64>>,
    medians: Mutex<HashMap<String, (i64, Option<i64>)>>,
    /// The team figures of a page (team, period, first day), with the store's generation they
    /// were computed at (see [`Db::generation`]).
    boards: Mutex<HashMap<BoardKey, Arc<CachedBoard>>>,
    /// One computation of a page's figures at a time; the others wait for it.
    computing: Mutex<HashMap<BoardKey, Arc<tokio::sync::Mutex<()>>>>,
}

type BoardKey = (String, &'static str, i64);

struct CachedBoard {
    generation: String,
    /// Taken before the generation and the rows were read.
    at: std::time::Instant,
    board: share::BoardResponse,
}

/// Pages kept before the cache is emptied.
const MAX_CACHED_BOARDS: usize = 512;

impl Memory {
    /// Forgets a team's cached median (after a withdrawal changed its days).
    pub fn forget(&self, team: &str) {
        self.medians.lock().unwrap_or_else(|p| p.into_inner()).remove(team);
    }
}

async fn with_retry<T, F, Fut>(mut f: F) -> Res<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Res<T>>,
{
    let mut tries = 0;
    loop {
        match f().await {
            Err(e) if e.status == 503 && tries < 8 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5 << tries.min(5))).await;
            }
            r => return r,
        }
    }
}

/// Creates the store's tables and its admin token; refuses a store that has one already.
pub async fn init(db: &Db, now: i64) -> Res<String> {
    crate::db::migrate(db, now).await?;
    let mut tx = db.write().await?;
    let n = tx.query_one("SELECT CAST(COUNT(*) AS BIGINT) FROM admin_tokens", &[]).await?;
    if n.is_some_and(|r| r[0].int() > 0) {
        return Err(Fail::new(409, "this board is initialised already (its admin token was shown then)"));
    }
    let token = secret::new_secret(secret::ADMIN_TOKEN);
    tx.exec(
        "INSERT INTO admin_tokens (hash, created_at) VALUES ($1, $2)",
        params![secret::hash(&token), now],
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Checks the store is at the current schema (upgrading it when it is older).
pub async fn open(db: &Db, now: i64) -> Res<()> {
    let v = crate::db::version(db).await?;
    if v == 0 {
        return Err(Fail::new(400, "the store is empty: run `tokenworth-board init` first"));
    }
    crate::db::migrate(db, now).await?;
    Ok(())
}

fn check_group(k: i64) -> Res<()> {
    if k < MIN_GROUP_FLOOR {
        return Err(Fail::bad(format!("the minimum group size is never below {MIN_GROUP_FLOOR}")));
    }
    if k > 1_000_000 {
        return Err(Fail::bad("the minimum group size is at most 1000000"));
    }
    Ok(())
}

fn check_window(d: i64) -> Res<()> {
    if !(1..=3650).contains(&d) {
        return Err(Fail::bad("the window is 1 to 3650 days"));
    }
    Ok(())
}

pub async fn create_team(db: &Db, name: &str, k: Option<i64>, window: Option<i64>, now: i64) -> Res<Team> {
    share::check_team_name(name)?;
    let k = k.unwrap_or(DEFAULT_MIN_GROUP);
    let window = window.unwrap_or(DEFAULT_WINDOW_DAYS);
    check_group(k)?;
    check_window(window)?;
    let mut tx = db.write().await?;
    match tx
        .exec(
            "INSERT INTO teams (name, min_group, window_days, created_at) VALUES ($1, $2, $3, $4)",
            params![name, k, window, now],
        )
        .await
    {
        Err(DbError::Unique) => return Err(Fail::new(409, format!("team {name} exists already"))),
        r => r?,
    };
    tx.commit().await?;
    Ok(Team { name: name.to_string(), min_group: k, window_days: window })
}

pub async fn set_team(db: &Db, name: &str, k: Option<i64>, window: Option<i64>) -> Res<Team> {
    let mut tx = db.write().await?;
    let mut team = team_in(&mut tx, name).await?;
    if let Some(k) = k {
        check_group(k)?;
        team.min_group = k;
    }
    if let Some(w) = window {
        check_window(w)?;
        team.window_days = w;
    }
    tx.exec(
        "UPDATE teams SET min_group = $1, window_days = $2 WHERE name = $3",
        params![team.min_group, team.window_days, name],
    )
    .await?;
    tx.commit().await?;
    Ok(team)
}

async fn team_in(tx: &mut Tx, name: &str) -> Res<Team> {
    let row = tx
        .query_one("SELECT name, min_group, window_days FROM teams WHERE name = $1", params![name])
        .await?
        .ok_or_else(|| Fail::not_found(format!("no team {name}")))?;
    Ok(Team { name: row[0].text().to_string(), min_group: row[1].int(), window_days: row[2].int() })
}

pub async fn team(db: &Db, name: &str) -> Res<Team> {
    let mut tx = db.read().await?;
    let t = team_in(&mut tx, name).await;
    tx.commit().await?;
    t
}

/// A single-use invite to `team`, valid for `seconds`.
pub async fn invite(db: &Db, team: &str, seconds: i64, now: i64) -> Res<String> {
    if seconds <= 0 || seconds > 365 * 86_400 {
        return Err(Fail::bad("an invite lasts between a second and a year"));
    }
    let mut tx = db.write().await?;
    team_in(&mut tx, team).await?;
    let code = secret::new_secret(secret::INVITE);
    tx.exec(
        "INSERT INTO invites (hash, team, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        params![secret::hash(&code), team, now, now + seconds],
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

async fn new_device(tx: &mut Tx, member_id: &str, now: i64) -> Res<(String, String)> {
    let device = secret::new_id();
    let token = secret::new_secret(secret::MEMBER_TOKEN);
    tx.exec(
        "INSERT INTO devices (id, member_id, created_at) VALUES ($1, $2, $3)",
        params![&device, member_id, now],
    )
    .await?;
    tx.exec(
        "INSERT INTO tokens (hash, member_id, device_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        params![secret::hash(&token), member_id, &device, now, now + TOKEN_SECONDS],
    )
    .await?;
    Ok((device, token))
}

/// Uses up a single-use secret: returns its row's remaining columns, or why it cannot be used.
async fn use_secret(
    tx: &mut Tx,
    table: &str,
    cols: &str,
    secret_hash: &str,
    what: &str,
    now: i64,
) -> Res<Vec<Val>> {
    let sql = format!("SELECT expires_at, used_at, {cols} FROM {table} WHERE hash = $1");
    let row = tx
        .query_one(&sql, params![secret_hash])
        .await?
        .ok_or_else(|| Fail::unauthorized(format!("unknown {what}")))?;
    if row[1].opt_int().is_some() {
        return Err(Fail::new(410, format!("this {what} was used already")));
    }
    if row[0].int() <= now {
        return Err(Fail::new(410, format!("this {what} has expired")));
    }
    let sql = format!("UPDATE {table} SET used_at = $1 WHERE hash = $2 AND used_at IS NULL");
    if tx.exec(&sql, params![now, secret_hash]).await? != 1 {
        return Err(Fail::new(410, format!("this {what} was used already")));
    }
    Ok(row[2..].to_vec())
}

/// Joins a team with an invite: a new member, their first device and its token.
pub async fn join(db: &Db, invite: &str, alias: &str, now: i64) -> Res<share::JoinResponse> {
    share::check_alias(alias)?;
    if !secret::well_formed(invite, secret::INVITE) {
        return Err(Fail::unauthorized("unknown invite"));
    }
    let alias = alias.trim();
    with_retry(|| async {
        let mut tx = db.write().await?;
        let rest = use_secret(&mut tx, "invites", "team", &secret::hash(invite), "invite", now).await?;
        let team = rest[0].text().to_string();
        let member = secret::new_id();
        match tx
            .exec(
                "INSERT INTO members (id, team, alias, joined_at) VALUES ($1, $2, $3, $4)",
                params![&member, &team, alias, now],
            )
            .await
        {
            Err(DbError::Unique) => {
                return Err(Fail::new(409, format!("the alias {alias:?} is taken in this team")))
            }
            r => r?,
        };
        let (device, token) = new_device(&mut tx, &member, now).await?;
        tx.commit().await?;
        Ok(share::JoinResponse { team, member_id: member, device_id: device, token })
    })
    .await
}

/// A single-use code with which the caller's member adds another machine.
pub async fn device_code(db: &Db, caller: &Caller, now: i64) -> Res<share::DeviceCodeResponse> {
    let code = secret::new_secret(secret::DEVICE_CODE);
    let mut tx = db.write().await?;
    tx.exec(
        "INSERT INTO device_codes (hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        params![secret::hash(&code), &caller.member_id, now, now + DEVICE_CODE_SECONDS],
    )
    .await?;
    tx.commit().await?;
    Ok(share::DeviceCodeResponse { code, expires_in_seconds: DEVICE_CODE_SECONDS as u64 })
}

/// Adds a device to the member who made `code`.
pub async fn device_join(db: &Db, code: &str, now: i64) -> Res<share::JoinResponse> {
    if !secret::well_formed(code, secret::DEVICE_CODE) {
        return Err(Fail::unauthorized("unknown device code"));
    }
    let mut tx = db.write().await?;
    let rest =
        use_secret(&mut tx, "device_codes", "member_id", &secret::hash(code), "device code", now).await?;
    let member = rest[0].text().to_string();
    let team = tx
        .query_one("SELECT team FROM members WHERE id = $1", params![&member])
        .await?
        .ok_or_else(|| Fail::new(410, "the member who made this code has left"))?[0]
        .text()
        .to_string();
    let (device, token) = new_device(&mut tx, &member, now).await?;
    tx.commit().await?;
    Ok(share::JoinResponse { team, member_id: member, device_id: device, token })
}

/// The member and device of a bearer token.
pub async fn authenticate(db: &Db, token: &str, now: i64) -> Res<Caller> {
    Ok(authenticate_team(db, token, now).await?.0)
}

/// The member and device of a bearer token, and their team's settings (one statement).
pub async fn authenticate_team(db: &Db, token: &str, now: i64) -> Res<(Caller, Team)> {
    if !secret::well_formed(token, secret::MEMBER_TOKEN) {
        return Err(Fail::unauthorized("unknown token"));
    }
    let row = db
        .read_one(
            "SELECT t.member_id, t.device_id, m.team, t.revoked_at, t.expires_at, tm.min_group, tm.window_days \
             FROM tokens t LEFT JOIN members m ON m.id = t.member_id LEFT JOIN teams tm ON tm.name = m.team \
             WHERE t.hash = $1",
            params![secret::hash(token)],
        )
        .await?
        .into_iter()
        .next();
    let row = row.ok_or_else(|| Fail::unauthorized("unknown token"))?;
    if row[3].opt_int().is_some() || row[2] == Val::Null {
        return Err(Fail::unauthorized("this token was revoked"));
    }
    if row[4].opt_int().is_some_and(|e| e <= now) {
        return Err(Fail::unauthorized("this token has expired; join again with a device code or an invite"));
    }
    let caller = Caller {
        member_id: row[0].text().into(),
        device_id: row[1].text().into(),
        team: row[2].text().into(),
    };
    let team = Team { name: caller.team.clone(), min_group: row[5].int(), window_days: row[6].int() };
    Ok((caller, team))
}

/// The days a team accepts now: from the first day of its window to tomorrow (UTC), which is
/// today in the earliest zone, UTC+14.
pub fn accepted(team: &Team, now: i64) -> (i64, i64) {
    let today = utc_day(now);
    (today - team.window_days + 1, today + 1)
}

/// Deletes a team's days older than its window, once per UTC day per team.
pub async fn apply_window(db: &Db, mem: &Memory, team: &Team, now: i64) -> Res<()> {
    let today = utc_day(now);
    {
        let done = mem.purged.lock().unwrap_or_else(|p| p.into_inner());
        if done.get(&team.name) == Some(&today) {
            return Ok(());
        }
    }
    let cutoff = format_day(accepted(team, now).0);
    let mut tx = db.write().await?;
    for table in ["days", "day_tools", "day_models", "day_outcomes", "reviews"] {
        let sql = format!("DELETE FROM {table} WHERE team = $1 AND day < $2");
        tx.exec(&sql, params![&team.name, &cutoff]).await?;
    }
    tx.commit().await?;
    mem.purged.lock().unwrap_or_else(|p| p.into_inner()).insert(team.name.clone(), today);
    Ok(())
}

/// Applies every team's window now (at start and at each UTC midnight).
pub async fn apply_windows(db: &Db, mem: &Memory, now: i64) -> Res<()> {
    let mut tx = db.read().await?;
    let rows = tx.query("SELECT name, min_group, window_days FROM teams", &[]).await?;
    tx.commit().await?;
    for r in rows {
        let team = Team { name: r[0].text().into(), min_group: r[1].int(), window_days: r[2].int() };
        apply_window(db, mem, &team, now).await?;
    }
    Ok(())
}

/// The team's median member-day cost over its last week, cached per UTC day.
async fn team_median(db: &Db, mem: &Memory, team: &Team, now: i64) -> Res<Option<i64>> {
    let today = utc_day(now);
    if let Some((d, m)) = mem.medians.lock().unwrap_or_else(|p| p.into_inner()).get(&team.name) {
        if *d == today {
            return Ok(*m);
        }
    }
    let mut tx = db.read().await?;
    let rows = tx
        .query(
            "SELECT cost_micros FROM days WHERE team = $1 AND day >= $2",
            params![&team.name, format_day(today - 7)],
        )
        .await?;
    tx.commit().await?;
    let mut v: Vec<i64> = rows.iter().map(|r| r[0].int()).collect();
    let m = if v.len() < team.min_group as usize {
        None
    } else {
        let mid = v.len() / 2;
        Some(*v.select_nth_unstable(mid).1)
    };
    mem.medians.lock().unwrap_or_else(|p| p.into_inner()).insert(team.name.clone(), (today, m));
    Ok(m)
}

/// A day's cost above this many team medians goes on the review list.
pub const REVIEW_MEDIAN_FACTOR: i64 = 20;
/// Heavy spend with no outcome: a day above this many medians (or $100 with no median).
pub const HEAVY_MEDIAN_FACTOR: i64 = 5;
pub const HEAVY_FLOOR_MICROS: i64 = 100_000_000;

/// Stores the caller's days: each replaces what this device sent for that day.
pub async fn send(
    db: &Db,
    mem: &Memory,
    caller: &Caller,
    req: &SendRequest,
    now: i64,
) -> Res<share::SendResponse> {
    let team = team(db, &caller.team).await?;
    send_as(db, mem, caller, &team, req, now).await
}

/// [`send`] with the caller's team read already (with the token, see [`authenticate_team`]).
pub async fn send_as(
    db: &Db,
    mem: &Memory,
    caller: &Caller,
    team: &Team,
    req: &SendRequest,
    now: i64,
) -> Res<share::SendResponse> {
    let team = team.clone();
    let (earliest, latest) = accepted(&team, now);
    req.validate(earliest, latest)?;
    apply_window(db, mem, &team, now).await?;
    let median = team_median(db, mem, &team, now).await?;
    let mut days: Vec<&share::DayUpload> = req.days.iter().collect();
    // One order for every writer, so two requests never wait on each other's rows.
    days.sort_by(|a, b| a.day.cmp(&b.day));
    with_retry(|| async {
        let mut tx = db.write().await?;
        let mut stored = 0;
        let mut replaced = 0;
        for d in &days {
            if store_day(&mut tx, caller, d, median, now).await? {
                replaced += 1;
            }
            stored += 1;
        }
        tx.commit().await?;
        Ok(share::SendResponse { stored, replaced })
    })
    .await
}

/// The statement inserting `n` rows of `cols` columns into `table` at once.
fn insert_rows(table: &str, columns: &str, cols: usize, n: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for r in 0..n {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * cols + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Deletes a day's rows in `table` whose `col` is not one of `keep` (all of them when `keep` is
/// empty).
fn delete_others<'a>(
    table: &str,
    col: &str,
    key: &[Val],
    keep: impl Iterator<Item = &'a str>,
) -> (String, Vec<Val>) {
    let mut sql = format!("DELETE FROM {table} WHERE member_id = $1 AND device_id = $2 AND day = $3");
    let mut p = key.to_vec();
    let mut first = true;
    for name in keep {
        if first {
            sql.push_str(&format!(" AND {col} NOT IN ("));
            first = false;
        } else {
            sql.push_str(", ");
        }
        p.push(name.into());
        sql.push_str(&format!("${}", p.len()));
    }
    if !first {
        sql.push(')');
    }
    (sql, p)
}

const UPSERT_DAY: &str =
    "INSERT INTO days (member_id, device_id, day, team, input_tokens, cache_creation_tokens, \
     cache_read_tokens, output_tokens, reasoning_tokens, total_tokens, unpriced_tokens, cost_micros, \
     has_tools, has_models, has_outcomes, received_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
     ON CONFLICT (member_id, device_id, day) DO UPDATE SET team = excluded.team, \
     input_tokens = excluded.input_tokens, cache_creation_tokens = excluded.cache_creation_tokens, \
     cache_read_tokens = excluded.cache_read_tokens, output_tokens = excluded.output_tokens, \
     reasoning_tokens = excluded.reasoning_tokens, total_tokens = excluded.total_tokens, \
     unpriced_tokens = excluded.unpriced_tokens, cost_micros = excluded.cost_micros, \
     has_tools = excluded.has_tools, has_models = excluded.has_models, \
     has_outcomes = excluded.has_outcomes, received_at = excluded.received_at";

/// Stores one day (replacing this device's earlier send of it, children included) and applies
/// the review checks to it; whether it replaced one. The statements go out together (one round
/// trip on PostgreSQL), in the order a one-by-one run would take.
async fn store_day(
    tx: &mut Tx,
    c: &Caller,
    d: &share::DayUpload,
    median: Option<i64>,
    now: i64,
) -> Res<bool> {
    let key: Vec<Val> = vec![(&c.member_id).into(), (&c.device_id).into(), (&d.day).into()];
    let t = &d.totals;
    let day_row: Vec<Val> = vec![
        (&c.member_id).into(),
        (&c.device_id).into(),
        (&d.day).into(),
        (&c.team).into(),
        t.input_tokens.into(),
        t.cache_creation_tokens.into(),
        t.cache_read_tokens.into(),
        t.output_tokens.into(),
        t.reasoning_tokens.into(),
        t.total_tokens.into(),
        t.unpriced_tokens.into(),
        micros(t.cost_usd).into(),
        i64::from(d.tools.is_some()).into(),
        i64::from(d.models.is_some()).into(),
        i64::from(d.outcomes.is_some()).into(),
        now.into(),
    ];
    // On PostgreSQL the upsert holds the key's row lock, so the children after it are
    // replaced by one request at a time. They are replaced whatever `old` said: a request that
    // waited on that lock read `old` before another one stored its children.
    let mut sqls: Vec<String> = Vec::new();
    let mut args: Vec<Vec<Val>> = Vec::new();
    sqls.push("SELECT received_at FROM days WHERE member_id = $1 AND device_id = $2 AND day = $3".into());
    args.push(key.clone());
    sqls.push(UPSERT_DAY.into());
    args.push(day_row);
    // The children are updated in place (an upsert per name, and a delete of the names the
    // day no longer has): a resend with the same names rewrites its rows and leaves the
    // indexes alone, instead of deleting and inserting every row and index entry.
    const SPLIT_COLS: &str = "member_id, device_id, day, team, name, total_tokens, cost_micros";
    for (table, splits) in [("day_tools", &d.tools), ("day_models", &d.models)] {
        let splits: &[share::Split] = splits.as_deref().unwrap_or(&[]);
        let (sql, p) = delete_others(table, "name", &key, splits.iter().map(|s| s.name.as_str()));
        sqls.push(sql);
        args.push(p);
        if !splits.is_empty() {
            sqls.push(format!(
                "{} ON CONFLICT (member_id, device_id, day, name) DO UPDATE SET team = excluded.team, \
                 total_tokens = excluded.total_tokens, cost_micros = excluded.cost_micros",
                insert_rows(table, SPLIT_COLS, 7, splits.len())
            ));
            let mut p = Vec::with_capacity(splits.len() * 7);
            for s in splits {
                p.extend([
                    (&c.member_id).into(),
                    (&c.device_id).into(),
                    (&d.day).into(),
                    (&c.team).into(),
                    (&s.name).into(),
                    s.tokens.total_tokens.into(),
                    micros(s.tokens.cost_usd).into(),
                ]);
            }
            args.push(p);
        }
    }
    let outs: &[share::OutcomeDay] = d.outcomes.as_deref().unwrap_or(&[]);
    let (sql, p) = delete_others("day_outcomes", "outcome", &key, outs.iter().map(|o| o.outcome.as_str()));
    sqls.push(sql);
    args.push(p);
    if !outs.is_empty() {
        sqls.push(format!(
            "{} ON CONFLICT (member_id, device_id, day, outcome) DO UPDATE SET team = excluded.team, \
             sessions = excluded.sessions, cost_micros = excluded.cost_micros, commits = excluded.commits",
            insert_rows(
                "day_outcomes",
                "member_id, device_id, day, team, outcome, sessions, cost_micros, commits",
                8,
                outs.len(),
            )
        ));
        let mut p = Vec::with_capacity(outs.len() * 8);
        for o in outs {
            p.extend([
                (&c.member_id).into(),
                (&c.device_id).into(),
                (&d.day).into(),
                (&c.team).into(),
                o.outcome.as_str().into(),
                o.sessions.into(),
                micros(o.cost_usd).into(),
                o.commits.into(),
            ]);
        }
        args.push(p);
    }
    // The review checks: the two days before (for repeated totals), and the day's review entry
    // cleared (stored again below when the day has reasons).
    let prev_at = sqls.len();
    let prev = d.totals.total_tokens > 0 && share::parse_day(&d.day).is_some();
    if let Some(n) = share::parse_day(&d.day).filter(|_| prev) {
        sqls.push(
            "SELECT day, total_tokens FROM days WHERE member_id = $1 AND device_id = $2 AND day IN ($3, $4)"
                .into(),
        );
        args.push(vec![
            (&c.member_id).into(),
            (&c.device_id).into(),
            format_day(n - 1).into(),
            format_day(n - 2).into(),
        ]);
    }
    sqls.push("DELETE FROM reviews WHERE member_id = $1 AND device_id = $2 AND day = $3".into());
    args.push(key);
    let stmts: Vec<(&str, &[Val])> =
        sqls.iter().map(String::as_str).zip(args.iter().map(Vec::as_slice)).collect();
    let results = tx.run(&stmts).await?;
    let old = !results[0].is_empty();
    let prev_rows = if prev { &results[prev_at][..] } else { &[] };
    let reasons = review_reasons(d, median, prev_rows);
    if !reasons.is_empty() {
        tx.exec(
            "INSERT INTO reviews (member_id, device_id, day, team, reasons, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (member_id, device_id, day) DO UPDATE SET reasons = excluded.reasons, created_at = excluded.created_at",
            params![&c.member_id, &c.device_id, &d.day, &c.team, reasons.join("\n"), now],
        )
        .await?;
    }
    Ok(old)
}

/// The plausibility checks: a day far above the team's median, totals repeated exactly day
/// after day (`prev`: the device's two days before, as `day, total_tokens`), heavy spend with
/// no outcome from a member who shares outcomes. A day with reasons goes on the admin's review
/// list; nothing is refused or re-ranked.
fn review_reasons(d: &share::DayUpload, median: Option<i64>, prev: &[crate::db::Row]) -> Vec<String> {
    let mut reasons = Vec::new();
    let cost = micros(d.totals.cost_usd);
    if let Some(m) = median.filter(|m| *m > 0) {
        if cost > m.saturating_mul(REVIEW_MEDIAN_FACTOR) {
            reasons.push(format!(
                "cost ${:.2} is above {REVIEW_MEDIAN_FACTOR}x the team's median day (${:.2})",
                d.totals.cost_usd,
                share::usd(m)
            ));
        }
    }
    if d.totals.total_tokens > 0
        && prev.len() == 2
        && prev.iter().all(|r| r[1].int() as u64 == d.totals.total_tokens)
    {
        reasons
            .push(format!("total of {} tokens repeated exactly three days running", d.totals.total_tokens));
    }
    if let Some(outs) = &d.outcomes {
        let heavy = match median.filter(|m| *m > 0) {
            Some(m) => cost > m.saturating_mul(HEAVY_MEDIAN_FACTOR) && cost >= HEAVY_FLOOR_MICROS / 10,
            None => cost >= HEAVY_FLOOR_MICROS,
        };
        let delivered = outs.iter().any(|o| {
            o.sessions > 0
                && matches!(
                    o.outcome,
                    share::Outcome::Shipped | share::Outcome::Fixed | share::Outcome::Explored
                )
        });
        if heavy && !delivered {
            reasons.push(format!(
                "heavy spend (${:.2}) with no session shipped, fixed or explored",
                d.totals.cost_usd
            ));
        }
    }
    reasons
}

/// Deletes the member's days (all, or `from..=to`) on every device, with their splits, outcomes
/// and review entries, in one transaction. Membership and token stay.
pub async fn withdraw(db: &Db, mem: &Memory, caller: &Caller, range: Option<(String, String)>) -> Res<u64> {
    let (from, to) = match range {
        Some((f, t)) => {
            let (a, b) = (share::parse_day(&f), share::parse_day(&t));
            match (a, b) {
                (Some(a), Some(b)) if a <= b => (f, t),
                (Some(_), Some(_)) => return Err(Fail::bad("from is after to")),
                _ => return Err(Fail::bad("from and to must be YYYY-MM-DD dates")),
            }
        }
        None => ("0000-00-00".to_string(), "9999-99-99".to_string()),
    };
    let n = with_retry(|| async {
        let mut tx = db.write().await?;
        let n = delete_days(&mut tx, &caller.member_id, &from, &to).await?;
        tx.commit().await?;
        Ok(n)
    })
    .await?;
    mem.forget(&caller.team);
    db.scrub().await?;
    Ok(n)
}

async fn delete_days(tx: &mut Tx, member: &str, from: &str, to: &str) -> Res<u64> {
    let mut n = 0;
    for table in ["days", "day_tools", "day_models", "day_outcomes", "reviews"] {
        let sql = format!("DELETE FROM {table} WHERE member_id = $1 AND day >= $2 AND day <= $3");
        let k = tx.exec(&sql, params![member, from, to]).await?;
        if table == "days" {
            n = k;
        }
    }
    Ok(n)
}

/// Removes a member: all their data, devices, codes, links and sessions, and the membership;
/// their tokens are revoked.
pub async fn leave(db: &Db, mem: &Memory, member: &str, team: &str, now: i64) -> Res<u64> {
    let n = with_retry(|| async {
        let mut tx = db.write().await?;
        let n = delete_days(&mut tx, member, "0000-00-00", "9999-99-99").await?;
        for sql in [
            "DELETE FROM devices WHERE member_id = $1",
            "DELETE FROM device_codes WHERE member_id = $1",
            "DELETE FROM signin_links WHERE member_id = $1",
            "DELETE FROM web_sessions WHERE member_id = $1",
            "DELETE FROM members WHERE id = $1",
        ] {
            tx.exec(sql, params![member]).await?;
        }
        tx.exec(
            "UPDATE tokens SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL",
            params![now, member],
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    })
    .await?;
    mem.forget(team);
    db.scrub().await?;
    Ok(n)
}

/// The admin removes a member of `team` (as if they had left).
pub async fn remove(db: &Db, mem: &Memory, team: &str, member: &str, now: i64) -> Res<u64> {
    let mut tx = db.read().await?;
    let row = tx
        .query_one(
            "SELECT id FROM members WHERE team = $1 AND (id = $2 OR alias = $2)",
            params![team, member],
        )
        .await?;
    tx.commit().await?;
    let id = row.ok_or_else(|| Fail::not_found(format!("no member {member} in team {team}")))?[0]
        .text()
        .to_string();
    leave(db, mem, &id, team, now).await
}

pub async fn members(db: &Db, team: &str) -> Res<Vec<MemberRow>> {
    let mut tx = db.read().await?;
    team_in(&mut tx, team).await?;
    let rows = tx
        .query(
            "SELECT m.id, m.alias, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM devices d WHERE d.member_id = m.id), \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM days y WHERE y.member_id = m.id), \
             (SELECT MAX(day) FROM days y WHERE y.member_id = m.id) \
             FROM members m WHERE m.team = $1 ORDER BY m.alias",
            params![team],
        )
        .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| MemberRow {
            member_id: r[0].text().into(),
            alias: r[1].text().into(),
            devices: r[2].int(),
            days: r[3].int(),
            last_day: match &r[4] {
                Val::Text(s) => Some(s.clone()),
                _ => None,
            },
        })
        .collect())
}

pub async fn review(db: &Db, team: &str) -> Res<Vec<share::ReviewItem>> {
    let mut tx = db.read().await?;
    team_in(&mut tx, team).await?;
    let rows = tx
        .query(
            "SELECT r.member_id, m.alias, r.device_id, r.day, r.reasons FROM reviews r \
             JOIN members m ON m.id = r.member_id WHERE r.team = $1 ORDER BY r.day DESC, m.alias",
            params![team],
        )
        .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| share::ReviewItem {
            member_id: r[0].text().into(),
            alias: r[1].text().into(),
            device_id: r[2].text().into(),
            day: r[3].text().into(),
            reasons: r[4].text().split('\n').map(String::from).collect(),
        })
        .collect())
}

/// A single-use sign-in link secret for a member (or, with `member` None, the admin).
pub async fn signin_link(db: &Db, team: &str, member: Option<&str>, now: i64) -> Res<String> {
    let code = secret::new_secret(secret::SIGNIN);
    let mut tx = db.write().await?;
    team_in(&mut tx, team).await?;
    tx.exec(
        "INSERT INTO signin_links (hash, team, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        params![secret::hash(&code), team, member, now, now + SIGNIN_SECONDS],
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// Uses a sign-in link: a page session secret and the team it is for.
pub async fn use_signin(db: &Db, code: &str, now: i64) -> Res<(String, String)> {
    if !secret::well_formed(code, secret::SIGNIN) {
        return Err(Fail::unauthorized("unknown sign-in link"));
    }
    let mut tx = db.write().await?;
    let rest =
        use_secret(&mut tx, "signin_links", "team, member_id", &secret::hash(code), "sign-in link", now)
            .await?;
    let team = rest[0].text().to_string();
    let member = rest[1].clone();
    let session = secret::new_secret(secret::SESSION);
    tx.exec(
        "INSERT INTO web_sessions (hash, team, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        params![secret::hash(&session), &team, member, now, now + SESSION_SECONDS],
    )
    .await?;
    tx.commit().await?;
    Ok((session, team))
}

/// The viewer of a page session.
pub async fn session(db: &Db, secret_value: &str, now: i64) -> Res<Viewer> {
    if !secret::well_formed(secret_value, secret::SESSION) {
        return Err(Fail::unauthorized("not signed in"));
    }
    let mut tx = db.read().await?;
    let row = tx
        .query_one(
            "SELECT team, member_id, expires_at FROM web_sessions WHERE hash = $1",
            params![secret::hash(secret_value)],
        )
        .await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| Fail::unauthorized("not signed in"))?;
    if row[2].int() <= now {
        return Err(Fail::unauthorized(
            "the page session has expired; ask your client for a new sign-in link",
        ));
    }
    Ok(Viewer {
        team: row[0].text().into(),
        member_id: match &row[1] {
            Val::Text(s) => Some(s.clone()),
            _ => None,
        },
    })
}

/// The alias of a member.
pub async fn alias(db: &Db, member: &str) -> Res<Option<String>> {
    let mut tx = db.read().await?;
    let row = tx.query_one("SELECT alias FROM members WHERE id = $1", params![member]).await?;
    tx.commit().await?;
    Ok(row.map(|r| r[0].text().to_string()))
}

/// Runs `f` where it may block its thread for long (a cold page reads and sums millions of
/// rows): the runtime moves its other tasks to another worker meanwhile.
async fn heavy<F: std::future::Future>(f: F) -> F::Output {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(|| Handle::current().block_on(f))
    } else {
        f.await
    }
}

/// A team's page for `from..=to` as `me` (a member id; None for the admin) sees it. The team's
/// figures are computed once per generation of the store (any commit anywhere makes a new one,
/// see [`Db::generation`]) and kept; the viewer's own figures are read for each request.
#[allow(clippy::too_many_arguments)]
pub async fn board_page(
    db: &Db,
    mem: &Memory,
    team: &Team,
    period: crate::stats::Period,
    from: i64,
    to: i64,
    me: Option<&str>,
) -> Res<share::BoardResponse> {
    let arrived = std::time::Instant::now();
    let key: BoardKey = (team.name.clone(), period.as_str(), from);
    let cached = |mem: &Memory| mem.boards.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
    let generation = db.generation().await?;
    let mut board = cached(mem).filter(|c| c.generation == generation);
    if board.is_none() {
        let lock = mem
            .computing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone();
        let _one = lock.lock().await;
        // Computed while this request waited, from rows read after it arrived: current.
        board = match cached(mem) {
            Some(c) if c.at >= arrived => Some(c),
            Some(c) if c.generation == db.generation().await? => Some(c),
            _ => None,
        };
        if board.is_none() {
            let at = std::time::Instant::now();
            let generation = db.generation().await?;
            let b = heavy(async {
                let (input, _) = board_input(db, &team.name, from, to, None).await?;
                Ok::<_, Fail>(crate::stats::board(&team.name, period, from, to, team.min_group, &input, None))
            })
            .await?;
            let c = Arc::new(CachedBoard { generation, at, board: b });
            let mut all = mem.boards.lock().unwrap_or_else(|p| p.into_inner());
            if all.len() >= MAX_CACHED_BOARDS {
                all.clear();
            }
            all.insert(key.clone(), c.clone());
            board = Some(c);
        }
    }
    let mut b = board.expect("computed").board.clone();
    if let Some(m) = me {
        b.me = my_figures(db, team, period, from, to, m).await?;
    }
    Ok(b)
}

/// The viewer's own figures, from their rows alone (as [`crate::stats::board`] computes them).
async fn my_figures(
    db: &Db,
    team: &Team,
    period: crate::stats::Period,
    from: i64,
    to: i64,
    member: &str,
) -> Res<Option<share::MyFigures>> {
    use crate::stats::{DayRow, Input, OutcomeRow};
    let (f, t) = (format_day(from), format_day(to));
    // By member only (their rows are all their team's): the primary key's prefix, so SQLite
    // does not pick the (team, day) index and read the whole team's period.
    let mut tx = db.read().await?;
    let days = tx
        .query(
            "SELECT day, cost_micros, total_tokens, has_outcomes FROM days \
             WHERE member_id = $1 AND day >= $2 AND day <= $3",
            params![member, &f, &t],
        )
        .await?;
    let outs = tx
        .query(
            "SELECT outcome, CAST(SUM(sessions) AS BIGINT), CAST(SUM(cost_micros) AS BIGINT) FROM day_outcomes \
             WHERE member_id = $1 AND day >= $2 AND day <= $3 GROUP BY outcome",
            params![member, &f, &t],
        )
        .await?;
    tx.commit().await?;
    if days.is_empty() && outs.is_empty() {
        return Ok(None);
    }
    let mut input = Input::default();
    for r in &days {
        input.days.push(DayRow {
            member: 0,
            day: share::parse_day(r[0].text()).unwrap_or(from),
            cost: r[1].int(),
            tokens: r[2].int(),
            outcomes: r[3].int() != 0,
        });
    }
    for r in &outs {
        if let Some(o) = share::Outcome::parse(r[0].text()) {
            input.outcomes.push(OutcomeRow { member: 0, outcome: o, sessions: r[1].int(), cost: r[2].int() });
        }
    }
    Ok(crate::stats::board(&team.name, period, from, to, team.min_group, &input, Some(0)).me)
}

/// The rows behind a team's page for `from..=to`, members numbered in order of their ids; and
/// the number of `me`, when they sent anything.
pub async fn board_input(
    db: &Db,
    team: &str,
    from: i64,
    to: i64,
    me: Option<&str>,
) -> Res<(crate::stats::Input, Option<u32>)> {
    use crate::stats::{DayRow, Input, OutcomeRow, SplitRow};
    let (f, t) = (format_day(from), format_day(to));
    let mut tx = db.read().await?;
    let days = tx
        .query(
            "SELECT member_id, day, cost_micros, total_tokens, has_outcomes FROM days \
             WHERE team = $1 AND day >= $2 AND day <= $3",
            params![team, &f, &t],
        )
        .await?;
    let mut splits = Vec::new();
    for table in ["day_tools", "day_models"] {
        let sql = format!(
            "SELECT member_id, name, CAST(SUM(cost_micros) AS BIGINT), CAST(SUM(total_tokens) AS BIGINT) \
             FROM {table} WHERE team = $1 AND day >= $2 AND day <= $3 GROUP BY member_id, name"
        );
        splits.push(tx.query(&sql, params![team, &f, &t]).await?);
    }
    let outs = tx
        .query(
            "SELECT member_id, outcome, CAST(SUM(sessions) AS BIGINT), CAST(SUM(cost_micros) AS BIGINT) \
             FROM day_outcomes WHERE team = $1 AND day >= $2 AND day <= $3 GROUP BY member_id, outcome",
            params![team, &f, &t],
        )
        .await?;
    tx.commit().await?;
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut num = |id: &str| -> u32 {
        if let Some(n) = ids.get(id) {
            return *n;
        }
        let n = ids.len() as u32;
        ids.insert(id.to_string(), n);
        n
    };
    let mut input = Input::default();
    for r in &days {
        input.days.push(DayRow {
            member: num(r[0].text()),
            day: share::parse_day(r[1].text()).unwrap_or(from),
            cost: r[2].int(),
            tokens: r[3].int(),
            outcomes: r[4].int() != 0,
        });
    }
    let models = splits.pop().unwrap_or_default();
    let tools = splits.pop().unwrap_or_default();
    let split = |rows: Vec<Vec<Val>>, num: &mut dyn FnMut(&str) -> u32| -> Vec<SplitRow> {
        rows.into_iter()
            .map(|r| SplitRow {
                member: num(r[0].text()),
                name: r[1].text().into(),
                cost: r[2].int(),
                tokens: r[3].int(),
            })
            .collect()
    };
    input.tools = split(tools, &mut num);
    input.models = split(models, &mut num);
    for r in outs {
        if let Some(o) = share::Outcome::parse(r[1].text()) {
            input.outcomes.push(OutcomeRow {
                member: num(r[0].text()),
                outcome: o,
                sessions: r[2].int(),
                cost: r[3].int(),
            });
        }
    }
    let me = me.and_then(|m| ids.get(m).copied());
    Ok((input, me))
}
