//! What the dashboard and the tray show, composed from the reports so the app stays a thin shell.
//! Shapes are documented in docs/bridge.md; they reuse the CLI's JSON contracts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{json, Value};

use crate::report::{self, local_date, BlockRow, Filter, Pricer, Totals, HOUR_MS};
use crate::store::{Store, StoreError};

/// Today's totals, overall and per source: what the tray shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Today {
    pub date: String,
    pub total: Totals,
    pub sources: BTreeMap<String, Totals>,
}

/// The local date of `now_ms` in `tz`.
pub fn today(tz: Tz, now_ms: i64) -> NaiveDate {
    local_date(tz, now_ms)
}

/// Today's spend in `tz`.
pub fn today_totals(store: &Store, pricer: &Pricer, tz: Tz, now_ms: i64) -> Result<Today, StoreError> {
    let day = today(tz, now_ms);
    let filter = Filter { since: Some(day), until: Some(day), ..Filter::new(tz) };
    let rep = report::periods(store, pricer, &filter, report::Period::Day)?;
    let mut out = Today { date: day.format("%Y-%m-%d").to_string(), ..Today::default() };
    if let Some(row) = rep.rows.into_iter().next() {
        out.total = row.total;
        out.sources = row.sources;
    }
    Ok(out)
}

/// The Overview: the daily contract with per-model breakdown for the last `days` local days
/// (today included) and today's usage per local hour.
pub fn overview(store: &Store, pricer: &Pricer, tz: Tz, now_ms: i64, days: u32) -> Result<Value, StoreError> {
    let day = today(tz, now_ms);
    let first = day - chrono::Duration::days(i64::from(days.clamp(1, 3660)) - 1);
    let filter = Filter { since: Some(first), until: Some(day), ..Filter::new(tz) };
    let rep = report::periods(store, pricer, &filter, report::Period::Day)?;
    let daily = report::period_json(&rep, report::Period::Day, true);
    let today_filter = Filter { since: Some(day), until: Some(day), ..Filter::new(tz) };
    let hourly = hourly(store, pricer, &today_filter)?;
    let active_block = active_block(store, pricer, tz, now_ms)?;
    Ok(json!({
        "active_block": active_block,
        "today": day.format("%Y-%m-%d").to_string(),
        "timezone": tz.name(),
        "daily": daily,
        "hourly": hourly.into_iter().map(|(hour, total)| json!({"hour": hour, "total": total})).collect::<Vec<_>>(),
    }))
}

/// The 5-hour window open at `now_ms` with its burn rate (`blocks --active`), `None` when there
/// is none. Windows are chained from the day before yesterday's requests on, so the work follows
/// the last two days, not the history; a chain that began earlier and never paused for five
/// hours since can place the window differently from `blocks --active` over the whole ledger.
pub fn active_block(
    store: &Store,
    pricer: &Pricer,
    tz: Tz,
    now_ms: i64,
) -> Result<Option<BlockRow>, StoreError> {
    let day = today(tz, now_ms);
    let filter = Filter { since: Some(day - chrono::Duration::days(2)), until: Some(day), ..Filter::new(tz) };
    let rep = report::blocks(store, pricer, &filter, now_ms)?;
    Ok(rep.blocks.into_iter().find(|b| b.active).map(|mut b| {
        b.burn = Some(b.burn_at(now_ms));
        b
    }))
}

/// Totals per local hour (`YYYY-MM-DDTHH`) from the rollup, summed per local hour in SQL (see
/// [`report::local_totals`]): the work follows the hours asked for, and each key is formatted
/// once. A 15-minute bucket never straddles an hour in zones with whole-hour offsets; in the few
/// with 30/45-minute offsets each bucket still lands wholly in one local hour.
pub fn hourly(store: &Store, pricer: &Pricer, filter: &Filter) -> Result<Vec<(String, Totals)>, StoreError> {
    let mut by_unit: BTreeMap<i64, Totals> = BTreeMap::new();
    report::local_totals(store, pricer, filter, HOUR_MS, |hour, _source, _model, totals| {
        by_unit.entry(hour).or_default().add(&totals);
    })?;
    let mut hours: BTreeMap<String, Totals> = BTreeMap::new();
    for (hour, totals) in by_unit {
        // The local hour's number counts from the local 1970-01-01T00: read as UTC, it is the
        // local wall-clock time.
        let key = DateTime::<Utc>::from_timestamp_millis(hour.saturating_mul(HOUR_MS))
            .unwrap_or_default()
            .naive_utc()
            .format("%Y-%m-%dT%H")
            .to_string();
        hours.entry(key).or_default().add(&totals);
    }
    Ok(hours.into_iter().filter(|(_, t)| t.total_tokens > 0).collect())
}
