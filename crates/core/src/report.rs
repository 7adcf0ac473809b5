//! Reports over the ledger: per day / week / month, per session, 5-hour blocks and per source.
//! Costs are computed here from stored tokens and the current price table, so they follow a
//! price change without re-reading any log.
//!
//! The report structs are the JSON contracts of the CLI (and later the app): field names are
//! public and stable.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use rustc_hash::FxHashMap;
use serde::Serialize;
use tokenworth_pricing::{ModelPrice, PriceTable};

pub use crate::fmt::iso_utc;
use crate::model::Tokens;
use crate::store::{tokens_at, Store, StoreError, BUCKET_MS};
use crate::tags::{self, CommitRow, Outcome, SessionKey};
use crate::zone::{offset_stretches, DAY_MS};

/// Token totals and cost, as every report prints them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub input_tokens: u64,
    /// Cache writes, 5-minute and 1-hour.
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    /// Every billed output token, reasoning included.
    pub output_tokens: u64,
    /// The informational part of output.
    pub reasoning_tokens: u64,
    /// input + cache_creation + cache_read + output.
    pub total_tokens: u64,
    pub cost_usd: f64,
    /// Tokens of models without a known price: not in cost_usd, never silently $0.
    pub unpriced_tokens: u64,
}

impl Totals {
    pub fn add(&mut self, o: &Totals) {
        self.input_tokens += o.input_tokens;
        self.cache_creation_tokens += o.cache_creation_tokens;
        self.cache_read_tokens += o.cache_read_tokens;
        self.output_tokens += o.output_tokens;
        self.reasoning_tokens += o.reasoning_tokens;
        self.total_tokens += o.total_tokens;
        self.cost_usd += o.cost_usd;
        self.unpriced_tokens += o.unpriced_tokens;
    }
}

/// Prices tokens, remembering each model's lookup.
pub struct Pricer<'a> {
    table: &'a PriceTable,
    cache: Mutex<FxHashMap<String, Option<ModelPrice>>>,
}

impl<'a> Pricer<'a> {
    pub fn new(table: &'a PriceTable) -> Pricer<'a> {
        Pricer { table, cache: Mutex::new(FxHashMap::default()) }
    }

    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(model) {
            return *p;
        }
        *cache.entry(model.to_string()).or_insert_with(|| self.table.resolve(model))
    }

    /// Totals of some requests of one model, all in the same long-context tier; `logged_cost`
    /// is the tools' own cost when they logged one (then it is used as is).
    pub fn totals(&self, model: &str, t: &Tokens, long: bool, logged_cost: Option<f64>) -> Totals {
        let mut out = Totals {
            input_tokens: t.input,
            cache_creation_tokens: t.cache_write_5m + t.cache_write_1h,
            cache_read_tokens: t.cache_read,
            output_tokens: t.output,
            reasoning_tokens: t.reasoning,
            total_tokens: t.total(),
            ..Totals::default()
        };
        match (logged_cost, self.price(model)) {
            (Some(c), _) => out.cost_usd = c,
            (None, Some(p)) => out.cost_usd = p.cost(&t.pricing(), long),
            (None, None) => out.unpriced_tokens = t.total(),
        }
        out
    }
}

/// Which events a report covers. Dates are local dates in `tz`, both ends inclusive.
#[derive(Debug, Clone)]
pub struct Filter {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub tz: Tz,
    pub source: Option<String>,
    pub project: Option<String>,
}

/// A local date as users type it: `YYYY-MM-DD` or `YYYYMMDD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .map_err(|_| format!("'{s}' is not a date: use YYYY-MM-DD or YYYYMMDD"))
}

/// Why [`Filter::checked`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// The first day is after the last.
    Inverted { since: NaiveDate, until: NaiveDate },
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterError::Inverted { since, until } => write!(f, "since {since} is after until {until}"),
        }
    }
}

impl std::error::Error for FilterError {}

impl Filter {
    pub fn new(tz: Tz) -> Filter {
        Filter { since: None, until: None, tz, source: None, project: None }
    }

    /// The filter a user asked for (the CLI's options, the dashboard's fields): an empty source
    /// or project means all; a first day after the last is refused.
    pub fn checked(
        tz: Tz,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        source: Option<&str>,
        project: Option<&str>,
    ) -> Result<Filter, FilterError> {
        if let (Some(since), Some(until)) = (since, until) {
            if since > until {
                return Err(FilterError::Inverted { since, until });
            }
        }
        let given = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        Ok(Filter { since, until, tz, source: given(source), project: given(project) })
    }

    /// UTC milliseconds [start, end) covered.
    pub fn range_ms(&self) -> (i64, i64) {
        let start = self.since.map_or(i64::MIN, |d| local_midnight_ms(self.tz, d));
        let end = self.until.and_then(|d| d.succ_opt()).map_or(i64::MAX, |d| local_midnight_ms(self.tz, d));
        (start, end)
    }

    /// SQL conditions and parameters for `source` / `project` columns and a time column.
    pub(crate) fn sql(&self, ts_expr: &str, ts_scale: i64) -> (String, Vec<Value>) {
        let mut conds = Vec::new();
        let mut params = Vec::new();
        let (start, end) = self.range_ms();
        if start != i64::MIN {
            conds.push(format!("{ts_expr} >= ?"));
            params.push(Value::Integer(start.div_euclid(ts_scale)));
        }
        if end != i64::MAX {
            conds.push(format!("{ts_expr} < ?"));
            params.push(Value::Integer(end.div_euclid(ts_scale) + i64::from(end.rem_euclid(ts_scale) != 0)));
        }
        if let Some(s) = &self.source {
            conds.push("source = ?".into());
            params.push(Value::Text(s.clone()));
        }
        if let Some(p) = &self.project {
            // A project filter matches the directory or any directory below it, or a name.
            // Compared by prefix and suffix rather than LIKE: a pattern has a length limit
            // (SQLite's 50,000 bytes) and a --project of any length must simply match nothing.
            conds.push(
                "(project = ? OR lower(substr(project, 1, ?)) = lower(?) OR lower(substr(project, -?)) = lower(?))".into(),
            );
            let prefix = format!("{}/", p.trim_end_matches('/'));
            let suffix = format!("/{p}");
            params.push(Value::Text(p.clone()));
            params.push(Value::Integer(prefix.chars().count() as i64));
            params.push(Value::Text(prefix));
            params.push(Value::Integer(suffix.chars().count() as i64));
            params.push(Value::Text(suffix));
        }
        let sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        (sql, params)
    }
}

/// The first instant of a local date, in UTC ms (the first valid time when midnight is skipped).
pub fn local_midnight_ms(tz: Tz, d: NaiveDate) -> i64 {
    let mut t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..8 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.timestamp_millis();
        }
        t += chrono::Duration::minutes(15);
    }
    t.and_utc().timestamp_millis()
}

pub fn local_date(tz: Tz, ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&tz).date_naive()
}

/// A session is heavy (a candidate for "idle burn") from this cost on…
pub const IDLE_BURN_COST_USD: f64 = 5.0;
/// …or, when its models have no price, from this many unpriced tokens.
pub const IDLE_BURN_UNPRICED_TOKENS: u64 = 1_000_000;

/// Heavy use: cost ≥ [`IDLE_BURN_COST_USD`], or ≥ [`IDLE_BURN_UNPRICED_TOKENS`] tokens of
/// models without a price. (Not total tokens: cache reads make a million tokens cheap.)
pub fn is_heavy(t: &Totals) -> bool {
    t.cost_usd >= IDLE_BURN_COST_USD || t.unpriced_tokens >= IDLE_BURN_UNPRICED_TOKENS
}

/// Which calendar period a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
}

impl Period {
    pub fn key(self, d: NaiveDate) -> String {
        match self {
            Period::Day => ymd(d, true),
            Period::Week => {
                ymd(d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday())), true)
            }
            Period::Month => ymd(d, false),
        }
    }
}

/// `YYYY-MM-DD` (or `YYYY-MM`), as chrono's `%Y-%m-%d` writes it, without its format parser
/// (a warm report over two years makes a key per day).
fn ymd(d: NaiveDate, day: bool) -> String {
    if !(0..=9999).contains(&d.year()) {
        return d.format(if day { "%Y-%m-%d" } else { "%Y-%m" }).to_string();
    }
    let (y, m) = (d.year() as u32, d.month());
    let mut b = [
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (d.day() / 10) as u8,
        b'0' + (d.day() % 10) as u8,
    ]
    .to_vec();
    if !day {
        b.truncate(7);
    }
    String::from_utf8(b).unwrap_or_default()
}

/// One day, week or month.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodRow {
    /// `YYYY-MM-DD` (a day, or the Monday a week starts on) or `YYYY-MM`.
    pub key: String,
    pub sources: BTreeMap<String, Totals>,
    /// Per model, with `--breakdown`.
    pub models: BTreeMap<String, Totals>,
    pub total: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodReport {
    pub rows: Vec<PeriodRow>,
    pub total: Totals,
}

/// Calls `f(bucket, source, model, totals)` for every rollup row the filter covers, priced: the
/// reference the sums per local day and hour are checked against.
#[cfg(test)]
pub(crate) fn rollup_totals(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
    mut f: impl FnMut(i64, String, String, Totals),
) -> Result<(), StoreError> {
    let (cond, params) = filter.sql("bucket", BUCKET_MS);
    let sql = format!(
        "SELECT bucket, source, model, long, logged, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost FROM rollup{cond}"
    );
    let mut run = || -> rusqlite::Result<()> {
        let mut stmt = store.conn().prepare(&sql)?;
        let mut q = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = q.next()? {
            let model: String = r.get(2)?;
            let long: bool = r.get(3)?;
            let logged: bool = r.get(4)?;
            let t = tokens_at(r, 5)?;
            let logged_cost: f64 = r.get(11)?;
            let totals = pricer.totals(&model, &t, long, logged.then_some(logged_cost));
            f(r.get(0)?, r.get(1)?, model, totals);
        }
        Ok(())
    };
    run().map_err(|e| store.err(e))
}

fn add_named(map: &mut BTreeMap<String, Totals>, name: &str, t: &Totals) {
    match map.get_mut(name) {
        Some(v) => v.add(t),
        None => {
            map.insert(name.to_owned(), *t);
        }
    }
}

/// Calls `f(local day, source, model, totals)` for every local day, source, model, tier and
/// logged/computed cost the filter covers, priced once per group (see [`local_totals`]).
pub(crate) fn day_totals(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
    mut f: impl FnMut(NaiveDate, &str, &str, Totals),
) -> Result<(), StoreError> {
    local_totals(store, pricer, filter, DAY_MS, |day, source, model, totals| {
        let date = i32::try_from(day)
            .ok()
            .and_then(|d| NaiveDate::from_num_days_from_ce_opt(d.checked_add(UNIX_EPOCH_CE_DAYS)?))
            .unwrap_or_default();
        f(date, source, model, totals);
    })
}

/// The first and last bucket of the rollup, in two subqueries: SQLite answers a lone min() or
/// max() from the key's first or last entry, but reads the whole rollup for both in one SELECT.
const BUCKET_SPAN_SQL: &str = "SELECT (SELECT min(bucket) FROM rollup), (SELECT max(bucket) FROM rollup)";

/// One local hour in milliseconds.
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// Calls `f(local unit, source, model, totals)` for every local unit (a day or an hour: `unit_ms`
/// divides a day), source, model, tier and logged/computed cost the filter covers, priced once
/// per group. A unit is numbered from the local 1970-01-01T00:00 (`local ms / unit_ms`, rounded
/// down). For each stretch of one UTC offset, SQLite sums the stretch's buckets per
/// `(bucket * 15 min + offset) / unit` ; a bucket's local unit is that of its first instant, as
/// [`local_date`] gives it (every offset is a multiple of 15 minutes, so a bucket lies in one
/// local day and one local hour). The work follows the buckets of the range: the rollup's key
/// starts with the bucket.
pub(crate) fn local_totals(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
    unit_ms: i64,
    mut f: impl FnMut(i64, &str, &str, Totals),
) -> Result<(), StoreError> {
    if unit_ms == DAY_MS && filter.project.is_none() && store.day_zone()?.as_deref() == Some(filter.tz.name())
    {
        return kept_days(store, pricer, filter, f);
    }
    let (start, end) = filter.range_ms();
    // Source and project conditions; the time range is the stretch's.
    let names = Filter { since: None, until: None, ..filter.clone() };
    let (cond, params) = names.sql("bucket", BUCKET_MS);
    let and = if cond.is_empty() { " WHERE" } else { " AND" };
    // Parameters in order: the offset, the name conditions', then the stretch. The unit is a
    // floor division, so that a time before 1970 is not rounded toward zero.
    let sql = format!(
        "SELECT (t - ((t % {unit_ms}) + {unit_ms}) % {unit_ms}) / {unit_ms} AS unit, source, model, long, logged,
            sum(input), sum(cw5m), sum(cw1h), sum(cache_read), sum(output), sum(reasoning), sum(logged_cost)
         FROM (SELECT bucket * {BUCKET_MS} + ? AS t, source, model, long, logged, input, cw5m, cw1h,
                 cache_read, output, reasoning, logged_cost
               FROM rollup{cond}{and} bucket >= ? AND bucket < ?)
         GROUP BY unit, source, model, long, logged"
    );
    let mut run = || -> rusqlite::Result<()> {
        let conn = store.conn();
        let (lo, hi): (Option<i64>, Option<i64>) =
            conn.query_row(BUCKET_SPAN_SQL, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(()) };
        let lo = lo.max(start.div_euclid(BUCKET_MS));
        let hi = match end {
            i64::MAX => hi + 1,
            end => (hi + 1).min(end.div_euclid(BUCKET_MS) + i64::from(end.rem_euclid(BUCKET_MS) != 0)),
        };
        if lo >= hi {
            return Ok(());
        }
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut all: Vec<Value> = Vec::with_capacity(params.len() + 3);
        for (first, stop, off) in offset_stretches(filter.tz, lo, hi) {
            all.clear();
            all.push(Value::Integer(off));
            all.extend(params.iter().cloned());
            all.push(Value::Integer(first));
            all.push(Value::Integer(stop));
            unit_rows(stmt.query(rusqlite::params_from_iter(all.iter()))?, pricer, &mut f)?;
        }
        Ok(())
    };
    run().map_err(|e| store.err(e))
}

/// [`local_totals`] per day in the zone the writer keeps `day_rollup` in (migration 8): a row
/// per day, source, model and tier, in the same order and with the same sums.
fn kept_days(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
    mut f: impl FnMut(i64, &str, &str, Totals),
) -> Result<(), StoreError> {
    let day = |d: NaiveDate| i64::from(d.num_days_from_ce() - UNIX_EPOCH_CE_DAYS);
    let mut params = vec![
        Value::Integer(filter.since.map_or(i64::MIN, day)),
        Value::Integer(filter.until.map_or(i64::MAX, |d| day(d) + 1)),
    ];
    let mut sql = String::from(
        "SELECT day, source, model, long, logged, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost
         FROM day_rollup WHERE day >= ?1 AND day < ?2",
    );
    if let Some(s) = &filter.source {
        sql.push_str(" AND source = ?3");
        params.push(Value::Text(s.clone()));
    }
    let mut run = || -> rusqlite::Result<()> {
        let mut stmt = store.conn().prepare_cached(&sql)?;
        let rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        unit_rows(rows, pricer, &mut f)
    };
    run().map_err(|e| store.err(e))
}

/// Prices and hands on rows of (unit, source, model, long, logged, six token sums, logged cost).
fn unit_rows(
    mut q: rusqlite::Rows<'_>,
    pricer: &Pricer,
    f: &mut impl FnMut(i64, &str, &str, Totals),
) -> rusqlite::Result<()> {
    // Read through `ValueRef`s, as `tokens_at` reads.
    let int = |r: &rusqlite::Row, i: usize| -> rusqlite::Result<i64> { Ok(r.get_ref(i)?.as_i64()?) };
    // A name is checked as UTF-8 only when it differs from the previous row's (rows come
    // grouped by day and source).
    let name = |r: &rusqlite::Row, i: usize, last: &mut String| -> rusqlite::Result<()> {
        let v = r.get_ref(i)?;
        match v {
            rusqlite::types::ValueRef::Text(b) if b == last.as_bytes() => {}
            v => {
                last.clear();
                last.push_str(v.as_str()?);
            }
        }
        Ok(())
    };
    let (mut source, mut model) = (String::new(), String::new());
    while let Some(r) = q.next()? {
        let unit = int(r, 0)?;
        name(r, 1, &mut source)?;
        name(r, 2, &mut model)?;
        let (source, model) = (source.as_str(), model.as_str());
        let long = int(r, 3)? != 0;
        let logged = int(r, 4)? != 0;
        let t = tokens_at(r, 5)?;
        let logged_cost = match r.get_ref(11)? {
            rusqlite::types::ValueRef::Real(f) => f,
            v => v.as_i64()? as f64,
        };
        let totals = pricer.totals(model, &t, long, logged.then_some(logged_cost));
        f(unit, source, model, totals);
    }
    Ok(())
}

/// 1970-01-01 as days from the common era (chrono's `num_days_from_ce`).
const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

/// Day / week / month totals from the rollup: summed per local day in SQL (see [`day_totals`]),
/// so the work grows with the days shown, not with the buckets stored.
pub fn periods(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
    period: Period,
) -> Result<PeriodReport, StoreError> {
    periods_with(store, pricer, filter, period, true)
}

/// [`periods`], with the split per model only when `models` (`--breakdown`): without it each
/// row's `models` is left empty.
pub fn periods_with(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
    period: Period,
    models: bool,
) -> Result<PeriodReport, StoreError> {
    // The rows come day by day (each query's rows in day order; a day split by a change of
    // offset comes back to back), so a period's row is almost always the last one made: the
    // key is made once per day, and looked up among the others only when a day comes out of
    // order.
    let mut rows: Vec<PeriodRow> = Vec::new();
    let mut last_day: Option<NaiveDate> = None;
    let mut at = 0usize;
    day_totals(store, pricer, filter, |day, source, model, totals| {
        if last_day != Some(day) {
            last_day = Some(day);
            let key = period.key(day);
            at = match rows.last() {
                Some(last) if last.key == key => rows.len() - 1,
                Some(last) if last.key > key => match rows.binary_search_by(|r| r.key.cmp(&key)) {
                    Ok(i) => i,
                    Err(i) => {
                        rows.insert(i, PeriodRow::new(key));
                        i
                    }
                },
                _ => {
                    rows.push(PeriodRow::new(key));
                    rows.len() - 1
                }
            };
        }
        let row = &mut rows[at];
        add_named(&mut row.sources, source, &totals);
        if models {
            add_named(&mut row.models, model, &totals);
        }
        row.total.add(&totals);
    })?;
    let mut total = Totals::default();
    rows.retain(|r| r.total.total_tokens > 0 || r.total.reasoning_tokens > 0);
    for r in &rows {
        total.add(&r.total);
    }
    Ok(PeriodReport { rows, total })
}

impl PeriodRow {
    fn new(key: String) -> PeriodRow {
        PeriodRow { key, sources: BTreeMap::new(), models: BTreeMap::new(), total: Totals::default() }
    }
}

/// One session of one tool.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    pub source: String,
    pub session_id: String,
    pub project: String,
    pub start: String,
    pub end: String,
    #[serde(skip)]
    pub start_ms: i64,
    #[serde(skip)]
    pub end_ms: i64,
    pub requests: u64,
    pub models: Vec<String>,
    #[serde(flatten)]
    pub totals: Totals,
    /// The branch the log named at the session's latest request that named one.
    pub git_branch: Option<String>,
    /// Sum of the gaps between consecutive requests, gaps over 15 minutes left out.
    pub active_seconds: u64,
    /// The session this one was resumed or forked from (same source), as the log shows it.
    pub parent: Option<SessionKey>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    pub link: Option<String>,
    /// Commits its repository's user authored from its start to its end + 30 minutes.
    pub commits: Vec<CommitRow>,
    /// `shipped` for an untagged session with commits; never applied by itself.
    pub suggested_outcome: Option<Outcome>,
    /// Heavy use (see [`is_heavy`]), no commits and no tag.
    pub idle_burn: bool,
}

/// Gaps between requests longer than this are not active time.
pub const IDLE_GAP_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    pub sessions: Vec<SessionRow>,
    pub total: Totals,
}

/// Sessions with events in the filter's range, most recent last.
pub fn sessions(store: &Store, pricer: &Pricer, filter: &Filter) -> Result<SessionReport, StoreError> {
    let (sql, params) = sessions_sql(filter);
    let mut map: HashMap<(String, String), SessionRow> = HashMap::new();
    let mut run = || -> rusqlite::Result<()> {
        let mut stmt = store.conn().prepare(&sql)?;
        let mut q = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = q.next()? {
            let source: String = r.get(0)?;
            let session: String = r.get(1)?;
            let project: String = r.get(2)?;
            let model: String = r.get(3)?;
            let long: bool = r.get(4)?;
            let logged: bool = r.get(5)?;
            let (start, end): (i64, i64) = (r.get(6)?, r.get(7)?);
            let t = tokens_at(r, 9)?;
            let totals = pricer.totals(&model, &t, long, logged.then_some(r.get(15)?));
            let row = map.entry((source.clone(), session.clone())).or_insert_with(|| SessionRow {
                source,
                session_id: session,
                project: project.clone(),
                start: String::new(),
                end: String::new(),
                start_ms: start,
                end_ms: end,
                requests: 0,
                models: Vec::new(),
                totals: Totals::default(),
                git_branch: None,
                active_seconds: 0,
                parent: None,
                outcome: None,
                note: None,
                link: None,
                commits: Vec::new(),
                suggested_outcome: None,
                idle_burn: false,
            });
            if start < row.start_ms {
                row.start_ms = start;
                row.project = project;
            }
            row.end_ms = row.end_ms.max(end);
            row.requests += r.get::<_, i64>(8)? as u64;
            if !row.models.contains(&model) {
                row.models.push(model);
            }
            row.totals.add(&totals);
        }
        Ok(())
    };
    run().map_err(|e| store.err(e))?;
    let active = active_ms(store, filter)?;
    let mut sessions: Vec<SessionRow> = map.into_values().collect();
    let keys: Vec<SessionKey> = sessions
        .iter()
        .map(|s| SessionKey { source: s.source.clone(), session_id: s.session_id.clone() })
        .collect();
    // Only the sessions shown: branch, parent, tag and commits looked up by key.
    let mut extras = tags::session_extras_for(store, &keys)?;
    for (s, key) in sessions.iter_mut().zip(keys) {
        s.models.sort();
        s.start = iso_utc(s.start_ms);
        s.end = iso_utc(s.end_ms);
        s.active_seconds = (active.get(&key).copied().unwrap_or(0).max(0) / 1000) as u64;
        if let Some((branch, parent)) = extras.meta.remove(&key) {
            s.git_branch = branch;
            s.parent = parent.map(|p| SessionKey { source: s.source.clone(), session_id: p });
        }
        s.commits = extras.commits.remove(&key).unwrap_or_default();
        if let Some(t) = extras.tags.remove(&key) {
            s.outcome = Some(t.outcome);
            s.note = t.note;
            s.link = t.link;
        }
        if s.outcome.is_none() && !s.commits.is_empty() {
            s.suggested_outcome = Some(Outcome::Shipped);
        }
        s.idle_burn = s.outcome.is_none() && s.commits.is_empty() && is_heavy(&s.totals);
    }
    order_by_family(&mut sessions);
    // Summed in the order shown: a float sum depends on the order, and the map's is random.
    let mut total = Totals::default();
    for s in &sessions {
        total.add(&s.totals);
    }
    Ok(SessionReport { sessions, total })
}

/// The sessions report's query: sums per session, model, tier and logged/computed cost of the
/// events in the filter's range (read through `events_ts` when the range is bounded).
fn sessions_sql(filter: &Filter) -> (String, Vec<Value>) {
    let (cond, params) = filter.sql("ts", 1);
    let sql = format!(
        "SELECT source, session_id, min(project), model,
            input + cw5m + cw1h + cache_read > {threshold} AS long, logged_cost IS NOT NULL,
            min(ts), max(ts), count(*), sum(input), sum(cw5m), sum(cw1h), sum(cache_read), sum(output),
            sum(reasoning), coalesce(sum(logged_cost), 0)
         FROM events{cond} GROUP BY source, session_id, model, long, logged_cost IS NOT NULL",
        threshold = tokenworth_pricing::LONG_CONTEXT_THRESHOLD
    );
    (sql, params)
}

/// The active time's query: the gaps between consecutive requests of each session in the range.
fn active_sql(filter: &Filter) -> (String, Vec<Value>) {
    let (cond, params) = filter.sql("ts", 1);
    let sql = format!(
        "SELECT source, session_id, sum(CASE WHEN gap <= {IDLE_GAP_MS} THEN gap ELSE 0 END) FROM (
            SELECT source, session_id, ts - lag(ts) OVER (PARTITION BY source, session_id ORDER BY ts) AS gap
            FROM events{cond}
         ) GROUP BY source, session_id"
    );
    (sql, params)
}

/// Active milliseconds per session within the filter: the gaps between its consecutive
/// requests, each gap over [`IDLE_GAP_MS`] left out.
fn active_ms(store: &Store, filter: &Filter) -> Result<HashMap<SessionKey, i64>, StoreError> {
    let (sql, params) = active_sql(filter);
    let run = || -> rusqlite::Result<HashMap<SessionKey, i64>> {
        let mut stmt = store.conn().prepare(&sql)?;
        let mut q = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = HashMap::new();
        while let Some(r) = q.next()? {
            let key = SessionKey { source: r.get(0)?, session_id: r.get(1)? };
            out.insert(key, r.get::<_, Option<i64>>(2)?.unwrap_or(0));
        }
        Ok(out)
    };
    run().map_err(|e| store.err(e))
}

/// Orders sessions by start, except that a resumed or forked session follows its family: the
/// families (a root and every session descending from it that is in the list) are ordered by
/// their root's start, and each family's members by their own start, root first.
fn order_by_family(sessions: &mut [SessionRow]) {
    let index: HashMap<(&str, &str), usize> =
        sessions.iter().enumerate().map(|(i, s)| ((s.source.as_str(), s.session_id.as_str()), i)).collect();
    let roots: Vec<usize> = (0..sessions.len())
        .map(|i| {
            let mut cur = i;
            // Bounded walk: a cycle in bad data ends at the bound, not in a loop.
            for _ in 0..64 {
                let next = sessions[cur]
                    .parent
                    .as_ref()
                    .and_then(|p| index.get(&(p.source.as_str(), p.session_id.as_str())))
                    .copied();
                match next {
                    Some(n) if n != i => cur = n,
                    _ => break,
                }
            }
            cur
        })
        .collect();
    let keys: Vec<(i64, String, String, bool, i64, String)> = (0..sessions.len())
        .map(|i| {
            let r = &sessions[roots[i]];
            let s = &sessions[i];
            (
                r.start_ms,
                r.source.clone(),
                r.session_id.clone(),
                roots[i] != i,
                s.start_ms,
                s.session_id.clone(),
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let sorted: Vec<SessionRow> = order.iter().map(|&i| sessions[i].clone()).collect();
    sessions.clone_from_slice(&sorted);
}

/// One request of a session.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    /// UTC, ISO 8601 with milliseconds.
    pub ts: String,
    pub model: String,
    #[serde(flatten)]
    pub totals: Totals,
}

/// Every stored request of one session, oldest first.
pub fn session_requests(
    store: &Store,
    pricer: &Pricer,
    source: &str,
    session_id: &str,
) -> Result<Vec<RequestRow>, StoreError> {
    let run = || -> rusqlite::Result<Vec<RequestRow>> {
        let mut stmt = store.conn().prepare(
            "SELECT ts, model, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost
             FROM events WHERE source = ?1 AND session_id = ?2 ORDER BY ts, id",
        )?;
        let rows = stmt.query_map([source, session_id], |r| {
            let model: String = r.get(1)?;
            let t = tokens_at(r, 2)?;
            let long = tokenworth_pricing::is_long_context(&t.pricing());
            let totals = pricer.totals(&model, &t, long, r.get(8)?);
            Ok(RequestRow { ts: iso_utc(r.get(0)?), model, totals })
        })?;
        rows.collect()
    };
    run().map_err(|e| store.err(e))
}

/// One session's totals (`None`: no such session in the ledger). Reads only the session's span
/// of events (the `sessions` row), so it does not grow with the ledger.
pub fn session_totals(
    store: &Store,
    pricer: &Pricer,
    source: &str,
    session_id: &str,
) -> Result<Option<Totals>, StoreError> {
    let run = || -> rusqlite::Result<Option<Totals>> {
        let conn = store.conn();
        let span: Option<(i64, i64)> = conn
            .query_row(
                "SELECT start_ts, end_ts FROM sessions WHERE source = ?1 AND session_id = ?2",
                [source, session_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((start, end)) = span else { return Ok(None) };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT model, input + cw5m + cw1h + cache_read > {threshold}, logged_cost IS NOT NULL,
                sum(input), sum(cw5m), sum(cw1h), sum(cache_read), sum(output), sum(reasoning),
                coalesce(sum(logged_cost), 0)
             FROM events WHERE ts >= ?3 AND ts <= ?4 AND source = ?1 AND session_id = ?2
             GROUP BY 1, 2, 3",
            threshold = tokenworth_pricing::LONG_CONTEXT_THRESHOLD
        ))?;
        let mut q = stmt.query(rusqlite::params![source, session_id, start, end])?;
        let mut total = Totals::default();
        while let Some(r) = q.next()? {
            let model = r.get_ref(0)?.as_str()?;
            let (long, logged): (bool, bool) = (r.get(1)?, r.get(2)?);
            let t = tokens_at(r, 3)?;
            total.add(&pricer.totals(model, &t, long, logged.then_some(r.get(9)?)));
        }
        Ok(Some(total))
    };
    run().map_err(|e| store.err(e))
}

/// A 5-hour billing window.
#[derive(Debug, Clone, Serialize)]
pub struct BlockRow {
    /// Start of the window (the hour of its first request), UTC.
    pub start: String,
    /// start + 5 hours.
    pub end: String,
    /// Time of the last request in the window.
    pub actual_end: String,
    /// The window is still open at `now`.
    pub active: bool,
    pub requests: u64,
    pub models: Vec<String>,
    pub sources: BTreeMap<String, Totals>,
    pub total: Totals,
    /// The first and the last request, ms.
    #[serde(skip)]
    pub first_ms: i64,
    #[serde(skip)]
    pub last_ms: i64,
    /// The pace of the active window (`blocks --active`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burn: Option<Burn>,
}

/// How fast the active 5-hour window is spending: over the time from its first request to
/// now (at least a minute), and where that pace ends at the window's close.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Burn {
    pub cost_per_hour: f64,
    pub tokens_per_minute: f64,
    pub projected_cost_usd: f64,
}

impl BlockRow {
    /// The window's end, ms.
    pub fn end_ms(&self) -> i64 {
        self.first_ms - self.first_ms.rem_euclid(3_600_000) + BLOCK_MS
    }

    /// The pace at `now_ms` (see [`Burn`]).
    pub fn burn_at(&self, now_ms: i64) -> Burn {
        let elapsed_ms = (now_ms.min(self.end_ms()) - self.first_ms).max(60_000) as f64;
        let cost_per_hour = self.total.cost_usd / (elapsed_ms / 3_600_000.0);
        let remaining_h = (self.end_ms() - now_ms).max(0) as f64 / 3_600_000.0;
        Burn {
            cost_per_hour,
            tokens_per_minute: self.total.total_tokens as f64 / (elapsed_ms / 60_000.0),
            projected_cost_usd: self.total.cost_usd + cost_per_hour * remaining_h,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BlockReport {
    pub blocks: Vec<BlockRow>,
    pub total: Totals,
}

pub const BLOCK_MS: i64 = 5 * 3600 * 1000;

/// 5-hour windows: a window opens at the hour of a request made after the previous window
/// closed, and lasts five hours.
pub fn blocks(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
    now_ms: i64,
) -> Result<BlockReport, StoreError> {
    let (cond, params) = filter.sql("ts", 1);
    let sql = format!(
        "SELECT ts, source, model, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost FROM events{cond} ORDER BY ts"
    );
    let mut blocks: Vec<BlockRow> = Vec::new();
    let mut cur_start = i64::MIN;
    let mut run = || -> rusqlite::Result<()> {
        let mut stmt = store.conn().prepare(&sql)?;
        let mut q = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = q.next()? {
            let ts: i64 = r.get(0)?;
            let source: String = r.get(1)?;
            let model: String = r.get(2)?;
            let t = tokens_at(r, 3)?;
            let logged: Option<f64> = r.get(9)?;
            let long = tokenworth_pricing::is_long_context(&t.pricing());
            let totals = pricer.totals(&model, &t, long, logged);
            if blocks.is_empty() || ts >= cur_start + BLOCK_MS {
                cur_start = ts - ts.rem_euclid(3_600_000);
                blocks.push(BlockRow {
                    start: iso_utc(cur_start),
                    end: iso_utc(cur_start + BLOCK_MS),
                    actual_end: String::new(),
                    active: now_ms >= cur_start && now_ms < cur_start + BLOCK_MS,
                    requests: 0,
                    models: Vec::new(),
                    sources: BTreeMap::new(),
                    total: Totals::default(),
                    first_ms: ts,
                    last_ms: ts,
                    burn: None,
                });
            }
            let b = blocks.last_mut().expect("a block was just pushed");
            b.actual_end = iso_utc(ts);
            b.last_ms = ts;
            b.requests += 1;
            if !b.models.contains(&model) {
                b.models.push(model);
            }
            b.sources.entry(source).or_default().add(&totals);
            b.total.add(&totals);
        }
        Ok(())
    };
    run().map_err(|e| store.err(e))?;
    let mut total = Totals::default();
    for b in &mut blocks {
        b.models.sort();
        total.add(&b.total);
    }
    Ok(BlockReport { blocks, total })
}

/// Whether any usage in the ledger was made in `project`, as `--project` matches it.
pub fn project_seen(store: &Store, project: &str) -> Result<bool, StoreError> {
    let filter = Filter { project: Some(project.to_owned()), ..Filter::new(chrono_tz::UTC) };
    let (cond, params) = filter.sql("bucket", BUCKET_MS);
    let sql = format!("SELECT EXISTS (SELECT 1 FROM rollup{cond})");
    store
        .conn()
        .query_row(&sql, rusqlite::params_from_iter(params.iter()), |r| r.get(0))
        .map_err(|e| store.err(e))
}

/// Models seen in the ledger with no price, per source (tokens of each).
pub fn unpriced_models(
    store: &Store,
    pricer: &Pricer,
) -> Result<BTreeMap<String, BTreeMap<String, u64>>, StoreError> {
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut run = || -> rusqlite::Result<()> {
        let mut stmt = store.conn().prepare(
            "SELECT source, model, sum(input + cw5m + cw1h + cache_read + output) FROM rollup WHERE logged = 0 GROUP BY source, model",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let (source, model): (String, String) = (r.get(0)?, r.get(1)?);
            if pricer.price(&model).is_none() {
                out.entry(source).or_default().insert(model, r.get::<_, i64>(2)? as u64);
            }
        }
        Ok(())
    };
    run().map_err(|e| store.err(e))?;
    Ok(out)
}

/// The JSON contract of `daily` / `weekly` / `monthly`:
/// `{"days":[{"date":…,"sources":{id:T},"total":T}],"total":T}` (`weeks`/`week`,
/// `months`/`month`), with `"models":{model:T}` per row when `breakdown`.
pub fn period_json(report: &PeriodReport, period: Period, breakdown: bool) -> serde_json::Value {
    let (list, key) = match period {
        Period::Day => ("days", "date"),
        Period::Week => ("weeks", "week"),
        Period::Month => ("months", "month"),
    };
    let rows: Vec<serde_json::Value> = report
        .rows
        .iter()
        .map(|r| {
            let mut o = serde_json::Map::new();
            o.insert(key.into(), r.key.clone().into());
            o.insert("sources".into(), serde_json::to_value(&r.sources).unwrap_or_default());
            if breakdown {
                o.insert("models".into(), serde_json::to_value(&r.models).unwrap_or_default());
            }
            o.insert("total".into(), serde_json::to_value(r.total).unwrap_or_default());
            serde_json::Value::Object(o)
        })
        .collect();
    serde_json::json!({ list: rows, "total": report.total })
}

/// The JSON of [`period_json`], written straight from the report (the bytes
/// `serde_json::to_writer_pretty` makes of that document, without building it first: a warm
/// `daily --json` spent more in building it than in the report).
pub struct PeriodJson<'a> {
    pub report: &'a PeriodReport,
    pub period: Period,
    pub breakdown: bool,
}

impl PeriodJson<'_> {
    /// The bytes of `serde_json::to_writer_pretty` of [`period_json`], written without serde's
    /// per-value dispatch (a warm `daily --json` over two years writes 740 KB of it; strings that
    /// need escaping and every float still go through serde_json itself).
    pub fn write_pretty(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let (list, key) = match self.period {
            Period::Day => ("days", "date"),
            Period::Week => ("weeks", "week"),
            Period::Month => ("months", "month"),
        };
        let mut p = Pretty { out, depth: 0, buf: itoa::Buffer::new() };
        p.open(b'{')?;
        let rows = |p: &mut Pretty<_>| -> std::io::Result<()> {
            p.open(b'[')?;
            for (i, row) in self.report.rows.iter().enumerate() {
                p.item(i == 0)?;
                p.row(row, key, self.breakdown)?;
            }
            p.close(b']', !self.report.rows.is_empty())
        };
        if list < "total" {
            p.key(true, list)?;
            rows(&mut p)?;
            p.key(false, "total")?;
            p.totals(&self.report.total)?;
        } else {
            p.key(true, "total")?;
            p.totals(&self.report.total)?;
            p.key(false, list)?;
            rows(&mut p)?;
        }
        p.close(b'}', true)
    }
}

/// serde_json's pretty layout (two spaces a level), written by hand for [`PeriodJson`].
struct Pretty<'w, W: std::io::Write> {
    out: &'w mut W,
    depth: usize,
    buf: itoa::Buffer,
}

impl<W: std::io::Write> Pretty<'_, W> {
    fn open(&mut self, b: u8) -> std::io::Result<()> {
        self.depth += 1;
        self.out.write_all(&[b])
    }

    fn close(&mut self, b: u8, any: bool) -> std::io::Result<()> {
        self.depth -= 1;
        if any {
            self.newline()?;
        }
        self.out.write_all(&[b])
    }

    fn newline(&mut self) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        self.out.write_all(b"\n")?;
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn item(&mut self, first: bool) -> std::io::Result<()> {
        if !first {
            self.out.write_all(b",")?;
        }
        self.newline()
    }

    /// A key of this file's own (a field name: nothing to escape).
    fn key(&mut self, first: bool, k: &'static str) -> std::io::Result<()> {
        self.item(first)?;
        self.out.write_all(b"\"")?;
        self.out.write_all(k.as_bytes())?;
        self.out.write_all(b"\": ")
    }

    /// A key from the data (a source or model name).
    fn name_key(&mut self, first: bool, k: &str) -> std::io::Result<()> {
        self.item(first)?;
        self.string(k)?;
        self.out.write_all(b": ")
    }

    fn string(&mut self, s: &str) -> std::io::Result<()> {
        // serde_json escapes only control characters, '"' and '\\'.
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.out.write_all(b"\"")?;
            self.out.write_all(s.as_bytes())?;
            self.out.write_all(b"\"")
        } else {
            serde_json::to_writer(&mut *self.out, s).map_err(std::io::Error::other)
        }
    }

    fn uint(&mut self, first: bool, k: &'static str, n: u64) -> std::io::Result<()> {
        self.key(first, k)?;
        let s = self.buf.format(n);
        self.out.write_all(s.as_bytes())
    }

    fn totals(&mut self, t: &Totals) -> std::io::Result<()> {
        self.open(b'{')?;
        self.uint(true, "cache_creation_tokens", t.cache_creation_tokens)?;
        self.uint(false, "cache_read_tokens", t.cache_read_tokens)?;
        self.key(false, "cost_usd")?;
        serde_json::to_writer(&mut *self.out, &t.cost_usd).map_err(std::io::Error::other)?;
        self.uint(false, "input_tokens", t.input_tokens)?;
        self.uint(false, "output_tokens", t.output_tokens)?;
        self.uint(false, "reasoning_tokens", t.reasoning_tokens)?;
        self.uint(false, "total_tokens", t.total_tokens)?;
        self.uint(false, "unpriced_tokens", t.unpriced_tokens)?;
        self.close(b'}', true)
    }

    fn named(&mut self, map: &BTreeMap<String, Totals>) -> std::io::Result<()> {
        self.open(b'{')?;
        for (i, (name, t)) in map.iter().enumerate() {
            self.name_key(i == 0, name)?;
            self.totals(t)?;
        }
        self.close(b'}', !map.is_empty())
    }

    /// A row's fields in name order, as a JSON object of serde_json holds them.
    fn row(&mut self, row: &PeriodRow, key: &'static str, breakdown: bool) -> std::io::Result<()> {
        let mut fields: Vec<&'static str> = vec![key, "sources", "total"];
        if breakdown {
            fields.push("models");
        }
        fields.sort_unstable();
        self.open(b'{')?;
        for (i, f) in fields.into_iter().enumerate() {
            self.key(i == 0, f)?;
            match f {
                "sources" => self.named(&row.sources)?,
                "models" => self.named(&row.models)?,
                "total" => self.totals(&row.total)?,
                _ => self.string(&row.key)?,
            }
        }
        self.close(b'}', true)
    }
}

/// What `sources` shows beside the stored totals.
pub struct SourcesView<'a> {
    /// Every known source (with the user's extra folders).
    pub sources: &'a [Box<dyn crate::source::Source>],
    pub settings: &'a crate::config::SourceSettings,
    pub env: &'a crate::Env,
    pub stats: &'a std::collections::HashMap<String, (u64, u64, u64)>,
    pub drift: &'a std::collections::HashMap<String, crate::ingest::Drift>,
    pub unpriced: &'a std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
    pub data_dir: &'a std::path::Path,
    pub db: &'a std::path::Path,
    pub price_version: &'a str,
}

/// The JSON contract of `sources`: per tool, where logs were looked for, files, events, skipped
/// lines, unpriced models, whether it is readable and enabled, and format drift; plus the data
/// dir, database and price-table version.
pub fn sources_json(v: &SourcesView) -> serde_json::Value {
    let list: Vec<serde_json::Value> = v
        .sources
        .iter()
        .map(|s| {
            let roots = s.roots(v.env);
            let (found, missing): (Vec<_>, Vec<_>) = roots.iter().partition(|r| r.is_dir());
            let (files, events, skipped) = v.stats.get(s.id()).copied().unwrap_or_default();
            let drift = v.drift.get(s.id()).map(|d| {
                serde_json::json!({
                    "unreadable_records": d.unreadable_records,
                    "unknown_files": d.unknown_files,
                    "since": d.since_ms.and_then(chrono::DateTime::from_timestamp_millis)
                        .map(|t| t.date_naive().format("%Y-%m-%d").to_string()),
                })
            });
            serde_json::json!({
                "id": s.id(),
                "name": s.name(),
                "readable": s.readable(),
                "unreadable_reason": s.unreadable_reason(),
                "enabled": v.settings.is_enabled(s.id()),
                "paths": found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "paths_not_found": missing.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "extra_paths": v.settings.paths.get(s.id()).map(|p| p.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()).unwrap_or_default(),
                "files": files,
                "events": events,
                "skipped_lines": skipped,
                "unpriced_models": v.unpriced.get(s.id()).cloned().unwrap_or_default(),
                "drift": drift,
            })
        })
        .collect();
    serde_json::json!({
        "sources": list,
        "data_dir": v.data_dir.display().to_string(),
        "database": v.db.display().to_string(),
        "price_table": v.price_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn period_json_written_by_hand_is_serde_jsons_pretty_bytes() {
        let t = |n: u64, cost: f64| Totals {
            input_tokens: n,
            cache_creation_tokens: n * 2,
            cache_read_tokens: u64::MAX,
            output_tokens: 0,
            reasoning_tokens: 7,
            total_tokens: n * 3,
            cost_usd: cost,
            unpriced_tokens: 1,
        };
        let mut odd = BTreeMap::new();
        for (i, name) in ["plain", "quote\"d", "back\\slash", "new\nline", "tab\t\u{1}", "δ-ünï\u{7f}", ""]
            .iter()
            .enumerate()
        {
            odd.insert(name.to_string(), t(i as u64, [0.0, 1.5, 1e-9, 123456.789, f64::NAN, -0.0, 1e21][i]));
        }
        let rows = vec![
            PeriodRow {
                key: "2026-03-01".into(),
                sources: odd.clone(),
                models: BTreeMap::new(),
                total: t(5, 0.1 + 0.2),
            },
            PeriodRow {
                key: "2026-03-02".into(),
                sources: BTreeMap::new(),
                models: odd,
                total: Totals::default(),
            },
        ];
        for report in
            [PeriodReport { rows, total: t(9, 2.0) }, PeriodReport { rows: vec![], total: Totals::default() }]
        {
            for period in [Period::Day, Period::Week, Period::Month] {
                for breakdown in [false, true] {
                    let j = PeriodJson { report: &report, period, breakdown };
                    let mut by_hand = Vec::new();
                    j.write_pretty(&mut by_hand).unwrap();
                    let doc = period_json(&report, period, breakdown);
                    assert_eq!(
                        String::from_utf8(by_hand).unwrap(),
                        serde_json::to_string_pretty(&doc).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn period_keys_are_chronos_format() {
        let mut day = d(-3, 1, 1);
        let mut dates = vec![d(-1, 12, 31), d(0, 1, 1), d(9999, 12, 31), d(10000, 1, 1), d(262_000, 5, 17)];
        while day < d(2100, 1, 1) {
            dates.push(day);
            day += chrono::Duration::days(17);
        }
        for x in dates {
            let monday = x - chrono::Duration::days(i64::from(x.weekday().num_days_from_monday()));
            assert_eq!(Period::Day.key(x), x.format("%Y-%m-%d").to_string());
            assert_eq!(Period::Week.key(x), monday.format("%Y-%m-%d").to_string());
            assert_eq!(Period::Month.key(x), x.format("%Y-%m").to_string());
        }
    }

    /// Day and hour totals summed in SQL per stretch of one UTC offset equal the rollup read row
    /// by row with each bucket's local date and hour, in zones with DST, half-hour DST (Lord Howe), 45-minute
    /// offsets (Kathmandu, Chatham), a zone that dropped DST (Tehran), and days before 1970.
    #[test]
    fn days_and_hours_summed_in_sql_equal_the_rollup_read_bucket_by_bucket() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("ledger.db")).unwrap();
        let table = PriceTable::embedded();
        let pricer = Pricer::new(&table);
        let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        {
            let c = store.conn();
            let mut ins = c
                .prepare("INSERT OR IGNORE INTO rollup VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
                .unwrap();
            // 1969-12-25 .. about two years on, a row every few buckets, around every offset change.
            let first = -7 * DAY_MS / BUCKET_MS;
            let mut b = first;
            while b < first + 2 * 366 * 96 {
                let source = ["claude-code", "codex"][(next() % 2) as usize];
                let model = ["claude-sonnet-4-5", "gpt-5", "no-such-model-x"][(next() % 3) as usize];
                let logged = next() % 5 == 0;
                let n = |r: u64| (r % 50_000) as i64;
                ins.execute(rusqlite::params![
                    b,
                    source,
                    "/p",
                    model,
                    next() % 7 == 0,
                    logged,
                    n(next()),
                    n(next()),
                    n(next()),
                    n(next()),
                    n(next()),
                    n(next()) / 10,
                    if logged { (next() % 1000) as f64 / 7.0 } else { 0.0 }
                ])
                .unwrap();
                b += 1 + (next() % 9) as i64;
            }
        }
        for tz in [
            chrono_tz::UTC,
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Pacific::Chatham,
            chrono_tz::Asia::Tehran,
            chrono_tz::America::St_Johns,
        ] {
            for (since, until) in [(None, None), (Some(d(1970, 3, 20)), Some(d(1970, 11, 2)))] {
                let filter = Filter { since, until, ..Filter::new(tz) };
                let mut want: BTreeMap<(NaiveDate, String, String), Totals> = BTreeMap::new();
                rollup_totals(&store, &pricer, &filter, |bucket, source, model, t| {
                    want.entry((local_date(tz, bucket * BUCKET_MS), source, model)).or_default().add(&t);
                })
                .unwrap();
                let mut got: BTreeMap<(NaiveDate, String, String), Totals> = BTreeMap::new();
                day_totals(&store, &pricer, &filter, |day, source, model, t| {
                    got.entry((day, source.to_owned(), model.to_owned())).or_default().add(&t);
                })
                .unwrap();
                assert!(want.len() > 100, "{tz}: {} groups", want.len());
                assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{tz} {since:?}");
                for (k, w) in &want {
                    let g = got[k];
                    assert_eq!(Totals { cost_usd: 0.0, ..g }, Totals { cost_usd: 0.0, ..*w }, "{tz} {k:?}");
                    assert!((g.cost_usd - w.cost_usd).abs() <= 1e-9 * w.cost_usd.abs(), "{tz} {k:?}");
                }
                // Local hours (the Overview's): the bucket's local wall-clock hour, numbered from
                // the local 1970-01-01T00.
                let mut want: BTreeMap<(i64, String), Totals> = BTreeMap::new();
                rollup_totals(&store, &pricer, &filter, |bucket, source, _model, t| {
                    let local = DateTime::<Utc>::from_timestamp_millis(bucket * BUCKET_MS)
                        .unwrap()
                        .with_timezone(&tz)
                        .naive_local()
                        .and_utc()
                        .timestamp_millis();
                    want.entry((local.div_euclid(HOUR_MS), source)).or_default().add(&t);
                })
                .unwrap();
                let mut got: BTreeMap<(i64, String), Totals> = BTreeMap::new();
                local_totals(&store, &pricer, &filter, HOUR_MS, |hour, source, _model, t| {
                    got.entry((hour, source.to_owned())).or_default().add(&t);
                })
                .unwrap();
                assert!(want.len() > 100, "{tz}: {} hours", want.len());
                assert_eq!(
                    got.keys().collect::<Vec<_>>(),
                    want.keys().collect::<Vec<_>>(),
                    "{tz} {since:?} hours"
                );
                for (k, w) in &want {
                    let g = got[k];
                    assert_eq!(Totals { cost_usd: 0.0, ..g }, Totals { cost_usd: 0.0, ..*w }, "{tz} {k:?}");
                    assert!((g.cost_usd - w.cost_usd).abs() <= 1e-9 * w.cost_usd.abs(), "{tz} {k:?}");
                }
            }
        }
    }

    /// A report of a period reads that period's events through `events_ts` (migration 6), not
    /// every event stored: the session sums and the active time; day and hour totals find the
    /// rollup's span from its key, not by reading it.
    #[test]
    fn a_period_is_read_through_the_time_index() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("ledger.db")).unwrap();
        let plan = |sql: &str, params: &[Value]| -> String {
            let mut stmt = store.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows =
                stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| r.get::<_, String>(3)).unwrap();
            rows.collect::<Result<Vec<_>, _>>().unwrap().join("; ")
        };
        let tz = chrono_tz::Europe::Berlin;
        for filter in [
            Filter { since: Some(d(2026, 3, 1)), ..Filter::new(tz) },
            Filter { since: Some(d(2026, 3, 1)), until: Some(d(2026, 3, 31)), ..Filter::new(tz) },
            Filter { until: Some(d(2026, 3, 31)), source: Some("codex".into()), ..Filter::new(tz) },
        ] {
            for (what, (sql, params)) in
                [("sessions", sessions_sql(&filter)), ("active", active_sql(&filter))]
            {
                let p = plan(&sql, &params);
                assert!(
                    p.contains("USING INDEX events_ts (ts>") || p.contains("USING INDEX events_ts (ts<"),
                    "{what} {filter:?}: {p}"
                );
            }
        }
        // The whole history is one pass over the table, as before.
        let (sql, params) = sessions_sql(&Filter::new(tz));
        assert!(!plan(&sql, &params).contains("events_ts"));
        // The span of the rollup that day and hour totals start from: two lookups in its key.
        let p = plan(BUCKET_SPAN_SQL, &[]);
        assert!(
            !p.contains("SCAN rollup") && p.matches("SEARCH rollup USING PRIMARY KEY").count() == 2,
            "{p}"
        );
    }

    #[test]
    fn offset_stretches_split_at_each_change() {
        let tz = chrono_tz::Europe::Berlin;
        let ms = |y, m, day, h, min| Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap().timestamp_millis();
        let (lo, hi) = (ms(2026, 1, 1, 0, 0) / BUCKET_MS, ms(2027, 1, 1, 0, 0) / BUCKET_MS);
        let s = offset_stretches(tz, lo, hi);
        // Summer time from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC.
        assert_eq!(
            s,
            vec![
                (lo, ms(2026, 3, 29, 1, 0) / BUCKET_MS, 3_600_000),
                (ms(2026, 3, 29, 1, 0) / BUCKET_MS, ms(2026, 10, 25, 1, 0) / BUCKET_MS, 7_200_000),
                (ms(2026, 10, 25, 1, 0) / BUCKET_MS, hi, 3_600_000),
            ]
        );
        assert_eq!(offset_stretches(tz, lo, lo + 1), vec![(lo, lo + 1, 3_600_000)]);
    }

    #[test]
    fn dates_are_read_in_both_forms_and_nothing_else() {
        assert_eq!(parse_date("2026-03-05"), Ok(d(2026, 3, 5)));
        assert_eq!(parse_date(" 20260305 "), Ok(d(2026, 3, 5)));
        for bad in ["2026-13-01", "yesterday", "", "2026-3-5x", "05.03.2026"] {
            let e = parse_date(bad).unwrap_err();
            assert!(e.contains("is not a date"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_checked_filter_refuses_an_inverted_range_and_reads_empty_as_all() {
        let tz = chrono_tz::Europe::Berlin;
        let e = Filter::checked(tz, Some(d(2026, 3, 5)), Some(d(2026, 3, 1)), None, None).unwrap_err();
        assert_eq!(e, FilterError::Inverted { since: d(2026, 3, 5), until: d(2026, 3, 1) });
        assert_eq!(e.to_string(), "since 2026-03-05 is after until 2026-03-01");
        let f =
            Filter::checked(tz, Some(d(2026, 3, 1)), Some(d(2026, 3, 1)), Some(" "), Some("api")).unwrap();
        assert_eq!(
            (f.since, f.until, f.source, f.project.as_deref()),
            (Some(d(2026, 3, 1)), Some(d(2026, 3, 1)), None, Some("api"))
        );
        assert_eq!(f.tz, tz);
    }
}
