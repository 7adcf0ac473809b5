//! Budgets: daily, weekly and monthly spending limits in USD, for everything or for one tool or
//! project, kept in config.toml as `[[budgets]]` tables:
//!
//! ```toml
//! [[budgets]]
//! period = "daily"     # daily, weekly (ISO, from Monday) or monthly
//! limit_usd = 20.0
//! source = "codex"     # optional: one tool
//! project = "api"      # optional: one project (as `--project` matches it)
//! ```
//!
//! A budget is known by its period, tool and project: setting one again replaces its limit.
//! [`status`] says what each has spent in its current period (local days in the report's zone),
//! the share of the limit used and the projection to the period's end at the pace so far.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::{ConfigError, DataDir};
use crate::report::{self, local_midnight_ms, Filter, Period, Pricer};
use crate::store::{Store, StoreError};

/// The length of a budget's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetPeriod {
    Daily,
    Weekly,
    Monthly,
}

impl BudgetPeriod {
    pub const ALL: [BudgetPeriod; 3] = [BudgetPeriod::Daily, BudgetPeriod::Weekly, BudgetPeriod::Monthly];

    pub fn name(self) -> &'static str {
        match self {
            BudgetPeriod::Daily => "daily",
            BudgetPeriod::Weekly => "weekly",
            BudgetPeriod::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<BudgetPeriod> {
        BudgetPeriod::ALL.into_iter().find(|p| p.name() == s)
    }

    /// The local days `[first, last]` of the period holding `today`.
    pub fn days(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let first = match self {
            BudgetPeriod::Daily => today,
            BudgetPeriod::Weekly => {
                today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()))
            }
            BudgetPeriod::Monthly => today.with_day(1).unwrap_or(today),
        };
        let next = match self {
            BudgetPeriod::Daily => first.succ_opt(),
            BudgetPeriod::Weekly => first.checked_add_signed(chrono::Duration::days(7)),
            BudgetPeriod::Monthly => first.checked_add_months(chrono::Months::new(1)),
        };
        (first, next.and_then(|n| n.pred_opt()).unwrap_or(first))
    }
}

impl fmt::Display for BudgetPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One budget as config.toml holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budget {
    pub period: BudgetPeriod,
    pub limit_usd: f64,
    /// One tool's id; `None`: every tool.
    pub source: Option<String>,
    /// One project; `None`: every project.
    pub project: Option<String>,
}

impl Budget {
    fn same_scope(&self, period: BudgetPeriod, source: Option<&str>, project: Option<&str>) -> bool {
        self.period == period && self.source.as_deref() == source && self.project.as_deref() == project
    }
}

/// A budget with its current period's spend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetStatus {
    pub period: BudgetPeriod,
    pub limit_usd: f64,
    pub source: Option<String>,
    pub project: Option<String>,
    pub spent_usd: f64,
    /// spent / limit (1.0 = the whole budget).
    pub used_share: f64,
    /// The spend at the period's end if it goes on at the pace so far.
    pub projected_usd: f64,
    /// The period's first and last local day.
    #[serde(skip)]
    pub first_day: NaiveDate,
    #[serde(skip)]
    pub last_day: NaiveDate,
}

/// Why a budget could not be set or removed (config.toml is then left as it was).
#[derive(Debug)]
pub enum BudgetError {
    /// The user's input: an amount, a tool, a project, a budget that does not exist.
    Invalid(String),
    Config(ConfigError),
    Store(StoreError),
}

impl fmt::Display for BudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetError::Invalid(m) => f.write_str(m),
            BudgetError::Config(e) => e.fmt(f),
            BudgetError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BudgetError {}

impl From<ConfigError> for BudgetError {
    fn from(e: ConfigError) -> Self {
        BudgetError::Config(e)
    }
}

impl From<StoreError> for BudgetError {
    fn from(e: StoreError) -> Self {
        BudgetError::Store(e)
    }
}

/// An amount in USD as a user types it (`20`, `7.5`, `$12`): finite and more than zero.
pub fn parse_amount(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t.strip_prefix('$').unwrap_or(t);
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e12 => Ok(v),
        Ok(v) if v.is_finite() && v <= 0.0 => {
            Err(format!("'{s}' is not a budget: a limit is more than $0 (`budget remove` takes one away)"))
        }
        _ => Err(format!("'{s}' is not an amount in USD (for example 20 or 7.50)")),
    }
}

/// The budgets in config.toml's text, in file order.
pub fn parse(text: &str) -> Result<Vec<Budget>, String> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let Some(list) = doc.get("budgets") else { return Ok(Vec::new()) };
    let list = list.as_array().ok_or("`budgets` must be a list of tables ([[budgets]])")?;
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let at = |m: &str| format!("budgets[{i}]: {m}");
        let t = item.as_table().ok_or_else(|| at("not a table"))?;
        for k in t.keys() {
            if !["period", "limit_usd", "source", "project"].contains(&k.as_str()) {
                return Err(at(&format!("unknown field `{k}`")));
            }
        }
        let period = t
            .get("period")
            .and_then(toml::Value::as_str)
            .and_then(BudgetPeriod::parse)
            .ok_or_else(|| at("`period` must be \"daily\", \"weekly\" or \"monthly\""))?;
        let limit_usd = t
            .get("limit_usd")
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|n| n as f64)))
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| at("`limit_usd` must be a number more than 0"))?;
        let text_field = |k: &str| -> Result<Option<String>, String> {
            match t.get(k) {
                None => Ok(None),
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
                Some(_) => Err(at(&format!("`{k}` must be a non-empty string"))),
            }
        };
        out.push(Budget {
            period,
            limit_usd,
            source: text_field("source")?,
            project: text_field("project")?,
        });
    }
    Ok(out)
}

impl DataDir {
    /// The budgets in config.toml (none when there is no file).
    pub fn budgets(&self) -> Result<Vec<Budget>, ConfigError> {
        parse(&self.config_text()?).map_err(|m| ConfigError::Invalid(self.config(), m))
    }

    /// Sets a budget's limit (adding it, or replacing the limit of the one with the same
    /// period, tool and project), keeping the rest of config.toml and its comments.
    pub fn set_budget(&self, b: &Budget) -> Result<(), ConfigError> {
        self.budgets()?;
        self.edit(|doc| {
            let list = budgets_mut(doc)?;
            for t in list.iter_mut() {
                if scope_of(t) == (Some(b.period), b.source.as_deref(), b.project.as_deref()) {
                    t["limit_usd"] = toml_edit::value(b.limit_usd);
                    return Ok(());
                }
            }
            let mut t = toml_edit::Table::new();
            t["period"] = toml_edit::value(b.period.name());
            t["limit_usd"] = toml_edit::value(b.limit_usd);
            if let Some(s) = &b.source {
                t["source"] = toml_edit::value(s.as_str());
            }
            if let Some(p) = &b.project {
                t["project"] = toml_edit::value(p.as_str());
            }
            list.push(t);
            Ok(())
        })
    }

    /// Removes the budget of this period, tool and project; `false` (and the file untouched)
    /// when there is none.
    pub fn remove_budget(
        &self,
        period: BudgetPeriod,
        source: Option<&str>,
        project: Option<&str>,
    ) -> Result<bool, ConfigError> {
        if !self.budgets()?.iter().any(|b| b.same_scope(period, source, project)) {
            return Ok(false);
        }
        self.edit(|doc| {
            let list = budgets_mut(doc)?;
            list.retain(|t| scope_of(t) != (Some(period), source, project));
            if list.is_empty() {
                doc.remove("budgets");
            }
            Ok(())
        })?;
        Ok(true)
    }
}

fn budgets_mut(doc: &mut toml_edit::DocumentMut) -> Result<&mut toml_edit::ArrayOfTables, String> {
    if !doc.contains_key("budgets") {
        doc["budgets"] = toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new());
    }
    doc["budgets"]
        .as_array_of_tables_mut()
        .ok_or_else(|| "`budgets` must be a list of tables ([[budgets]])".into())
}

fn scope_of(t: &toml_edit::Table) -> (Option<BudgetPeriod>, Option<&str>, Option<&str>) {
    let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::trim);
    (s("period").and_then(BudgetPeriod::parse), s("source"), s("project"))
}

/// Checks a budget a user asks for against the tools this build knows and the projects the
/// ledger has seen (`store`: `None` when there is no ledger yet).
pub fn check(b: &Budget, store: Option<&Store>) -> Result<(), BudgetError> {
    if let Some(s) = &b.source {
        let known = crate::source::all();
        if !known.iter().any(|x| x.id() == s) {
            let ids: Vec<&str> = known.iter().map(|x| x.id()).collect();
            return Err(BudgetError::Invalid(format!("unknown source '{s}' (known: {})", ids.join(", "))));
        }
    }
    if let Some(p) = &b.project {
        let seen = match store {
            Some(store) => report::project_seen(store, p)?,
            None => false,
        };
        if !seen {
            return Err(BudgetError::Invalid(format!(
                "unknown project '{p}': no usage in the ledger was made in it (give its directory or its last path component, as `--project` takes it)"
            )));
        }
    }
    Ok(())
}

/// Each budget's spend in its current period at `now_ms`, with local days in `tz`.
pub fn status(
    store: &Store,
    pricer: &Pricer,
    budgets: &[Budget],
    tz: Tz,
    now_ms: i64,
) -> Result<Vec<BudgetStatus>, StoreError> {
    let today = report::local_date(tz, now_ms);
    let mut out = Vec::with_capacity(budgets.len());
    for b in budgets {
        let (first, last) = b.period.days(today);
        let filter = Filter {
            since: Some(first),
            until: Some(last),
            tz,
            source: b.source.clone(),
            project: b.project.clone(),
        };
        let spent_usd = report::periods(store, pricer, &filter, Period::Day)?.total.cost_usd;
        let start = local_midnight_ms(tz, first);
        let end = last.succ_opt().map_or(start + 86_400_000, |d| local_midnight_ms(tz, d));
        out.push(BudgetStatus {
            period: b.period,
            limit_usd: b.limit_usd,
            source: b.source.clone(),
            project: b.project.clone(),
            spent_usd,
            used_share: spent_usd / b.limit_usd,
            projected_usd: projection(spent_usd, start, end, now_ms),
            first_day: first,
            last_day: last,
        });
    }
    Ok(out)
}

/// The spend at `end` if it goes on at the pace of `[start, now)`. The first hour of a period
/// counts as a whole hour, so one early request does not project a fortune.
pub fn projection(spent: f64, start_ms: i64, end_ms: i64, now_ms: i64) -> f64 {
    let len = (end_ms - start_ms).max(1) as f64;
    let elapsed =
        (now_ms - start_ms).clamp(3_600_000.min(end_ms - start_ms), end_ms - start_ms).max(1) as f64;
    spent * (len / elapsed).max(1.0)
}

/// The budget with the least money left (a share of its limit), if any.
pub fn tightest(statuses: &[BudgetStatus]) -> Option<&BudgetStatus> {
    statuses.iter().min_by(|a, b| (1.0 - a.used_share).total_cmp(&(1.0 - b.used_share)))
}

/// The JSON contract of `budget list --json`.
pub fn list_json(statuses: &[BudgetStatus]) -> serde_json::Value {
    serde_json::json!({ "budgets": statuses })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_cover_the_day_the_iso_week_and_the_month() {
        let today = d(2026, 12, 7); // a Monday
        assert_eq!(BudgetPeriod::Daily.days(today), (today, today));
        assert_eq!(BudgetPeriod::Weekly.days(d(2026, 12, 13)), (today, d(2026, 12, 13)));
        assert_eq!(BudgetPeriod::Weekly.days(today), (today, d(2026, 12, 13)));
        assert_eq!(BudgetPeriod::Monthly.days(today), (d(2026, 12, 1), d(2026, 12, 31)));
        assert_eq!(BudgetPeriod::Monthly.days(d(2028, 2, 29)), (d(2028, 2, 1), d(2028, 2, 29)));
    }

    #[test]
    fn amounts_are_positive_finite_numbers() {
        assert_eq!(parse_amount("20"), Ok(20.0));
        assert_eq!(parse_amount(" $7.50 "), Ok(7.5));
        for bad in ["-5", "0", "abc", "", "NaN", "inf", "1e400", "5 USD"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert!(parse_amount("-5").unwrap_err().contains("more than $0"));
        assert!(parse_amount("abc").unwrap_err().contains("not an amount"));
    }

    #[test]
    fn the_projection_follows_the_pace_and_never_shrinks_the_spend() {
        let h = 3_600_000;
        // A quarter of a day gone, $5 spent: $20 at the pace.
        assert_eq!(projection(5.0, 0, 24 * h, 6 * h), 20.0);
        // The first minutes count as an hour.
        assert_eq!(projection(1.0, 0, 24 * h, 60_000), 24.0);
        // At or after the end: what was spent.
        assert_eq!(projection(3.0, 0, 24 * h, 30 * h), 3.0);
        assert_eq!(projection(0.0, 0, 24 * h, 6 * h), 0.0);
    }

    #[test]
    fn budgets_round_trip_through_config_keeping_comments() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir { root: tmp.path().to_path_buf() };
        std::fs::write(data.config(), "# mine\ntimezone = \"Europe/Berlin\" # keep\n").unwrap();
        let daily = Budget { period: BudgetPeriod::Daily, limit_usd: 20.0, source: None, project: None };
        let codex = Budget {
            period: BudgetPeriod::Weekly,
            limit_usd: 50.0,
            source: Some("codex".into()),
            project: None,
        };
        data.set_budget(&daily).unwrap();
        data.set_budget(&codex).unwrap();
        data.set_budget(&Budget { limit_usd: 25.0, ..daily.clone() }).unwrap();
        assert_eq!(data.budgets().unwrap(), vec![Budget { limit_usd: 25.0, ..daily.clone() }, codex.clone()]);
        let text = std::fs::read_to_string(data.config()).unwrap();
        assert!(text.starts_with("# mine\ntimezone = \"Europe/Berlin\" # keep\n"), "{text}");
        assert!(!data.remove_budget(BudgetPeriod::Monthly, None, None).unwrap());
        assert_eq!(std::fs::read_to_string(data.config()).unwrap(), text, "nothing removed, nothing written");
        assert!(data.remove_budget(BudgetPeriod::Daily, None, None).unwrap());
        assert_eq!(data.budgets().unwrap(), vec![codex]);
        assert!(data.remove_budget(BudgetPeriod::Weekly, Some("codex"), None).unwrap());
        assert_eq!(data.budgets().unwrap(), vec![]);
        assert!(std::fs::read_to_string(data.config()).unwrap().contains("# keep"));
    }

    #[test]
    fn a_bad_budgets_section_is_named() {
        for (text, says) in [
            ("budgets = 3", "list of tables"),
            ("[[budgets]]\nperiod = \"yearly\"\nlimit_usd = 3", "`period`"),
            ("[[budgets]]\nperiod = \"daily\"\nlimit_usd = -3", "`limit_usd`"),
            ("[[budgets]]\nperiod = \"daily\"\nlimit_usd = 3\ncolour = 1", "unknown field"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
