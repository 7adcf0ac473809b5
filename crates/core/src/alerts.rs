//! Alerts: what the tray app tells the user the moment the ledger changes. Three kinds, each can
//! be turned off in config.toml's `[alerts]`:
//!
//! - **budget**: a budget reaches 80% and 100% of its limit (once per threshold per period; a
//!   crossing straight past both says 100% only; a raised budget re-arms what it no longer crosses);
//! - **spike**: today's spend passes `spike_factor` (3) × the median of the 14 days before;
//! - **idle burn**: a session still running (a request within `idle_minutes`) that is heavy by
//!   the reports' rule (at least `idle_burn_usd`, or `idle_burn_unpriced_tokens` of unpriced
//!   models), untagged, with no commit, for at least `idle_minutes` (30) since it started.
//!
//! [`check`] is called after each change and returns the new alerts and the next moment at which
//! something could change without the ledger changing (a day rolling over, a session reaching its
//! 30 minutes): one deadline, never a periodic tick. What has fired is kept in [`Fired`] (saved
//! by the shell): an alert never repeats while its condition holds, and is re-armed when it ends.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::budget::{self, Budget, BudgetStatus};
use crate::config::{ConfigError, DataDir};
use crate::report::{self, local_midnight_ms, Filter, Period, Pricer, Totals};
use crate::store::{Store, StoreError};

/// `[alerts]` in config.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    pub budget: bool,
    pub spike: bool,
    pub idle_burn: bool,
    /// Today's spend over this many times the median of the 14 days before.
    pub spike_factor: f64,
    /// Minutes without a commit before a heavy running session is called idle burn.
    pub idle_minutes: u32,
    pub idle_burn_usd: f64,
    pub idle_burn_unpriced_tokens: u64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            budget: true,
            spike: true,
            idle_burn: true,
            spike_factor: 3.0,
            idle_minutes: 30,
            idle_burn_usd: report::IDLE_BURN_COST_USD,
            idle_burn_unpriced_tokens: report::IDLE_BURN_UNPRICED_TOKENS,
        }
    }
}

/// Reads `[alerts]` from config.toml's text (defaults for what is not there).
pub fn parse_settings(text: &str) -> Result<AlertSettings, String> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let Some(v) = doc.get("alerts") else { return Ok(AlertSettings::default()) };
    let s: AlertSettings = v.clone().try_into().map_err(|e: toml::de::Error| format!("[alerts]: {e}"))?;
    validate(&s)?;
    Ok(s)
}

/// Checks settings a user asks for: the rules [`parse_settings`] applies to config.toml.
pub fn validate(s: &AlertSettings) -> Result<(), String> {
    if !(s.spike_factor.is_finite() && s.spike_factor > 1.0) {
        return Err("[alerts]: `spike_factor` must be a number above 1".into());
    }
    if !(s.idle_burn_usd.is_finite() && s.idle_burn_usd > 0.0) || s.idle_minutes == 0 {
        return Err("[alerts]: `idle_burn_usd` and `idle_minutes` must be more than 0".into());
    }
    if s.idle_burn_unpriced_tokens == 0 {
        return Err("[alerts]: `idle_burn_unpriced_tokens` must be more than 0".into());
    }
    Ok(())
}

impl DataDir {
    /// `[alerts]` of config.toml (the defaults when there is no file or no table).
    pub fn alert_settings(&self) -> Result<AlertSettings, ConfigError> {
        parse_settings(&self.config_text()?).map_err(|m| ConfigError::Invalid(self.config(), m))
    }

    /// Writes `[alerts]` (every field), keeping the rest of config.toml and its comments; refused
    /// with the file unchanged when the settings break a rule of [`validate`].
    pub fn set_alert_settings(&self, s: &AlertSettings) -> Result<(), ConfigError> {
        validate(s).map_err(|m| ConfigError::Invalid(self.config(), m))?;
        self.edit(|doc| {
            if !doc.contains_key("alerts") {
                doc["alerts"] = toml_edit::Item::Table(toml_edit::Table::new());
            }
            let t = doc["alerts"].as_table_mut().ok_or("`alerts` must be a table ([alerts])")?;
            let tokens = i64::try_from(s.idle_burn_unpriced_tokens).unwrap_or(i64::MAX);
            let fields: [(&str, toml_edit::Value); 7] = [
                ("budget", s.budget.into()),
                ("spike", s.spike.into()),
                ("idle_burn", s.idle_burn.into()),
                ("spike_factor", s.spike_factor.into()),
                ("idle_minutes", i64::from(s.idle_minutes).into()),
                ("idle_burn_usd", s.idle_burn_usd.into()),
                ("idle_burn_unpriced_tokens", tokens.into()),
            ];
            for (k, mut v) in fields {
                // A value the user wrote keeps its comment.
                match t.get_mut(k).and_then(|i| i.as_value_mut()) {
                    Some(old) => {
                        *v.decor_mut() = old.decor().clone();
                        *old = v;
                    }
                    None => t[k] = toml_edit::Item::Value(v),
                }
            }
            Ok(())
        })
    }

    /// Where the shell keeps [`Fired`] between runs, so a restart does not repeat an alert.
    pub fn fired_alerts_file(&self) -> PathBuf {
        self.root.join("alerts-fired.json")
    }

    /// The alerts that had fired when the app last ran (none when the file is missing or
    /// unreadable: at worst an alert that still holds is shown once more).
    pub fn fired_alerts(&self) -> Fired {
        std::fs::read(self.fired_alerts_file())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Saves [`Fired`] (written aside and renamed into place).
    pub fn save_fired_alerts(&self, fired: &Fired) -> Result<(), ConfigError> {
        let path = self.fired_alerts_file();
        let tmp = self.root.join(".alerts-fired.json.tmp");
        let text =
            serde_json::to_vec(fired).map_err(|e| ConfigError::Invalid(path.clone(), e.to_string()))?;
        std::fs::write(&tmp, text).map_err(|e| ConfigError::Io(tmp.clone(), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| ConfigError::Io(path, e))
    }
}

/// One alert to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `budget`, `spike` or `idle_burn`.
    pub kind: &'static str,
    /// What it is about, stable while its condition holds (the key [`Fired`] keeps).
    pub key: String,
    pub title: String,
    pub body: String,
}

/// The keys of the alerts that have fired and whose condition still holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fired(pub BTreeSet<String>);

/// What [`check`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    /// Alerts that fired now (not shown before while their condition held).
    pub new: Vec<Alert>,
    /// Every condition that holds now (for the tray's mark).
    pub holding: Vec<Alert>,
    /// The next moment something may change without a write (ms): check again then.
    pub next_ms: Option<i64>,
}

fn scope(b: &BudgetStatus) -> String {
    match (&b.source, &b.project) {
        (None, None) => "all tools".to_owned(),
        (Some(s), None) => s.clone(),
        (None, Some(p)) => format!("project {p}"),
        (Some(s), Some(p)) => format!("{s} in {p}"),
    }
}

/// The budget alerts that hold: the highest threshold each budget has crossed.
fn budget_alerts(statuses: &[BudgetStatus]) -> Vec<Alert> {
    let mut out = Vec::new();
    for s in statuses {
        let threshold = if s.used_share >= 1.0 {
            100
        } else if s.used_share >= 0.8 {
            80
        } else {
            continue;
        };
        let key = format!(
            "budget:{}:{}:{}:{}:{}",
            s.period,
            s.source.as_deref().unwrap_or("*"),
            s.project.as_deref().unwrap_or("*"),
            s.first_day,
            threshold
        );
        let title = if threshold == 100 {
            format!("{} budget spent ({})", capital(s.period.name()), scope(s))
        } else {
            format!("{} budget at 80% ({})", capital(s.period.name()), scope(s))
        };
        let body = format!(
            "{} of {} spent ({:.0}%); {} at this pace by the end of the period.",
            crate::fmt::usd(s.spent_usd),
            crate::fmt::usd(s.limit_usd),
            s.used_share * 100.0,
            crate::fmt::usd(s.projected_usd)
        );
        out.push(Alert { kind: "budget", key, title, body });
    }
    out
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The median of `xs` (0 when empty).
pub fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn heavy(t: &Totals, s: &AlertSettings) -> bool {
    t.cost_usd >= s.idle_burn_usd || t.unpriced_tokens >= s.idle_burn_unpriced_tokens
}

/// Checks every alert at `now_ms` and records in `fired` what fired (and forgets what no longer
/// holds, so it can fire again).
pub fn check(
    store: &Store,
    pricer: &Pricer,
    settings: &AlertSettings,
    budgets: &[Budget],
    tz: Tz,
    now_ms: i64,
    fired: &mut Fired,
) -> Result<Checked, StoreError> {
    let today = report::local_date(tz, now_ms);
    let mut holding = Vec::new();
    // A new local day changes every period's figures.
    let mut next_ms = today.succ_opt().map(|d| local_midnight_ms(tz, d));
    if settings.budget && !budgets.is_empty() {
        holding.extend(budget_alerts(&budget::status(store, pricer, budgets, tz, now_ms)?));
    }
    if settings.spike {
        let first = today - chrono::Duration::days(14);
        let filter = Filter { since: Some(first), until: Some(today), ..Filter::new(tz) };
        let rep = report::periods(store, pricer, &filter, Period::Day)?;
        let cost_on = |d: chrono::NaiveDate| {
            let key = Period::Day.key(d);
            rep.rows.iter().find(|r| r.key == key).map_or(0.0, |r| r.total.cost_usd)
        };
        let mut before: Vec<f64> = (1..=14).map(|i| cost_on(today - chrono::Duration::days(i))).collect();
        let median = median(&mut before);
        let spent = cost_on(today);
        if median > 0.0 && spent > settings.spike_factor * median {
            holding.push(Alert {
                kind: "spike",
                key: format!("spike:{today}"),
                title: format!("Spend spike: {} today", crate::fmt::usd(spent)),
                body: format!(
                    "{:.1}× the median day of the last 14 ({}).",
                    spent / median,
                    crate::fmt::usd(median)
                ),
            });
        }
    }
    if settings.idle_burn {
        let idle_ms = i64::from(settings.idle_minutes) * 60_000;
        // Sessions with a request within the last `idle_minutes`: the ones still running.
        let since = report::local_date(tz, now_ms - idle_ms);
        let filter = Filter { since: Some(since), ..Filter::new(tz) };
        let rep = report::sessions(store, pricer, &filter)?;
        for s in &rep.sessions {
            if s.outcome.is_some() || !s.commits.is_empty() || s.end_ms < now_ms - idle_ms {
                continue;
            }
            // The whole session's spend, not only its part in the window.
            let Some(t) = report::session_totals(store, pricer, &s.source, &s.session_id)? else { continue };
            if !heavy(&t, settings) {
                continue;
            }
            let start = s.start_ms.min(s.end_ms);
            let due = start + idle_ms;
            if now_ms < due {
                next_ms = Some(next_ms.map_or(due, |n| n.min(due)));
                continue;
            }
            holding.push(Alert {
                kind: "idle_burn",
                key: format!("idle_burn:{}:{}", s.source, s.session_id),
                title: format!("Idle burn? {} in a session with no commit", crate::fmt::usd(t.cost_usd)),
                body: format!(
                    "{} session in {} has run {} min with no commit and no outcome.",
                    s.source,
                    s.project,
                    (now_ms - start) / 60_000
                ),
            });
        }
    }
    let keys: BTreeSet<String> = holding.iter().map(|a| a.key.clone()).collect();
    // A budget alert at 100% also stands for its 80%: crossing 100% after 80% fires once more,
    // but a later drop to between them does not fire 80% again.
    let mut new = Vec::new();
    for a in &holding {
        let covered =
            a.key.ends_with(":80") && fired.0.contains(&format!("{}100", a.key.trim_end_matches("80")));
        if !fired.0.contains(&a.key) && !covered {
            new.push(a.clone());
        }
    }
    let mut keep: BTreeSet<String> = keys;
    // Keep a fired 100% while its 80% still holds, so it is not shown again for one period.
    for k in &fired.0 {
        if let Some(base) = k.strip_suffix(":100") {
            if keep.contains(&format!("{base}:80")) {
                keep.insert(k.clone());
            }
        }
    }
    fired.0 = keep;
    Ok(Checked { new, holding, next_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_even_and_odd_lists() {
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn settings_are_written_with_comments_kept_and_nonsense_leaves_the_file_alone() {
        let t = tempfile::tempdir().unwrap();
        let d = DataDir { root: t.path().to_path_buf() };
        std::fs::write(d.config(), "# mine\n[alerts]\nspike = false # quiet\n").unwrap();
        let mut s = d.alert_settings().unwrap();
        assert!(!s.spike);
        s.idle_minutes = 45;
        s.spike_factor = 2.5;
        d.set_alert_settings(&s).unwrap();
        let text = d.config_text().unwrap();
        assert!(text.contains("# mine") && text.contains("# quiet"), "{text}");
        assert_eq!(d.alert_settings().unwrap(), s);
        for bad in [
            AlertSettings { spike_factor: 1.0, ..s.clone() },
            AlertSettings { spike_factor: f64::NAN, ..s.clone() },
            AlertSettings { idle_minutes: 0, ..s.clone() },
            AlertSettings { idle_burn_usd: -5.0, ..s.clone() },
            AlertSettings { idle_burn_unpriced_tokens: 0, ..s.clone() },
        ] {
            assert!(d.set_alert_settings(&bad).is_err(), "{bad:?}");
            assert_eq!(d.config_text().unwrap(), text);
        }
    }

    #[test]
    fn fired_alerts_survive_a_restart_and_a_broken_file_forgets_them() {
        let t = tempfile::tempdir().unwrap();
        let d = DataDir { root: t.path().to_path_buf() };
        assert_eq!(d.fired_alerts(), Fired::default());
        let f = Fired(["budget:daily:*:*:2026-12-07:80".to_owned()].into());
        d.save_fired_alerts(&f).unwrap();
        assert_eq!(d.fired_alerts(), f);
        std::fs::write(d.fired_alerts_file(), "{not json").unwrap();
        assert_eq!(d.fired_alerts(), Fired::default());
    }

    #[test]
    fn settings_have_defaults_and_refuse_nonsense() {
        assert_eq!(parse_settings("").unwrap(), AlertSettings::default());
        let s = parse_settings("[alerts]\nspike = false\nidle_minutes = 45\n").unwrap();
        assert!(!s.spike && s.budget && s.idle_minutes == 45);
        for bad in [
            "[alerts]\nspike_factor = 0.5",
            "[alerts]\nidle_minutes = 0",
            "[alerts]\nloud = true",
            "[alerts]\nbudget = \"yes\"",
        ] {
            assert!(parse_settings(bad).is_err(), "{bad}");
        }
    }
}
