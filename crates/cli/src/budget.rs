//! `budget` (list, set, remove) and `statusline`: thin shells over `tokenworth_core::budget` and
//! the reports.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use clap::Subcommand;
use tokenworth_core::budget::{self, Budget, BudgetError, BudgetPeriod, BudgetStatus};
use tokenworth_core::config::{self, DataDir};
use tokenworth_core::fmt::usd;
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::Store;
use tokenworth_core::Env;

use crate::UsageError;

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct BudgetArgs {
    #[command(subcommand)]
    pub action: Option<BudgetAction>,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum BudgetAction {
    /// Each budget's spend in its current period, share used and projection (the default).
    List,
    /// Set a limit in USD for a period, for everything or one tool (--source) or project
    /// (--project); setting it again replaces the limit.
    Set {
        #[arg(value_name = "daily|weekly|monthly", value_parser = parse_period)]
        period: BudgetPeriod,
        #[arg(value_name = "USD", allow_negative_numbers = true)]
        usd: String,
    },
    /// Remove the budget of a period (with the same --source and --project it was set with).
    Remove {
        #[arg(value_name = "daily|weekly|monthly", value_parser = parse_period)]
        period: BudgetPeriod,
    },
}

fn parse_period(s: &str) -> Result<BudgetPeriod, String> {
    BudgetPeriod::parse(s.trim())
        .ok_or_else(|| format!("'{s}' is not a period: use daily, weekly or monthly"))
}

fn scope(source: Option<&str>, project: Option<&str>) -> String {
    match (source, project) {
        (None, None) => "everything".into(),
        (Some(s), None) => s.into(),
        (None, Some(p)) => format!("project {p}"),
        (Some(s), Some(p)) => format!("{s} in project {p}"),
    }
}

/// `budget set` and `budget remove`: config.toml edited, or left as it was with a clear error.
pub fn edit(
    data: &DataDir,
    action: &BudgetAction,
    source: Option<&str>,
    project: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let invalid = |e: BudgetError| -> anyhow::Error {
        match e {
            BudgetError::Invalid(m) => UsageError(m).into(),
            e => anyhow::Error::new(e),
        }
    };
    let mut out = std::io::stdout().lock();
    match action {
        BudgetAction::List => unreachable!("a report"),
        BudgetAction::Set { period, usd: amount } => {
            let limit_usd = budget::parse_amount(amount).map_err(UsageError)?;
            let b = Budget {
                period: *period,
                limit_usd,
                source: source.map(str::to_owned),
                project: project.map(str::to_owned),
            };
            let db = data.db();
            let store = if db.is_file() { Some(Store::open_readonly(&db)?) } else { None };
            budget::check(&b, store.as_ref()).map_err(invalid)?;
            data.set_budget(&b)?;
            if json {
                crate::render::json(&mut out, &serde_json::json!({ "set": b }))?;
            } else {
                writeln!(out, "{} budget for {}: {}", b.period, scope(source, project), usd(b.limit_usd))?;
            }
        }
        BudgetAction::Remove { period } => {
            if !data.remove_budget(*period, source, project)? {
                return Err(UsageError(format!(
                    "there is no {period} budget for {} to remove (`tokenworth budget` lists them)",
                    scope(source, project)
                ))
                .into());
            }
            if json {
                crate::render::json(&mut out, &serde_json::json!({ "removed": true }))?;
            } else {
                writeln!(out, "removed the {period} budget for {}", scope(source, project))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// `budget` / `budget list`.
pub fn list(out: &mut impl Write, statuses: &[BudgetStatus], json: bool, color: bool) -> anyhow::Result<()> {
    if json {
        crate::render::json(out, &budget::list_json(statuses))?;
        return Ok(());
    }
    if statuses.is_empty() {
        writeln!(out, "No budgets. `tokenworth budget set daily 20` sets one ($20 a day for everything).")?;
        return Ok(());
    }
    let head = format!(
        "{:<10}{:<26}{:>12}{:>12}{:>8}{:>14}",
        "Budget", "For", "Limit", "Spent", "Used", "Projected"
    );
    writeln!(out, "{}", if color { format!("\x1b[1m{head}\x1b[0m") } else { head })?;
    for s in statuses {
        let used = format!("{:.0}%", s.used_share * 100.0);
        let used = if color && s.used_share >= 1.0 {
            format!("\x1b[31m{used:>8}\x1b[0m")
        } else if color && s.used_share >= 0.8 {
            format!("\x1b[33m{used:>8}\x1b[0m")
        } else {
            format!("{used:>8}")
        };
        writeln!(
            out,
            "{:<10}{:<26}{:>12}{:>12}{used}{:>14}",
            s.period.name(),
            scope(s.source.as_deref(), s.project.as_deref()),
            usd(s.limit_usd),
            usd(s.spent_usd),
            usd(s.projected_usd),
        )?;
    }
    Ok(())
}

/// How long the status line waits for a ledger another process is writing.
const STATUSLINE_BUSY: Duration = Duration::from_millis(50);
/// The most of standard input the status line reads.
const STDIN_LIMIT: u64 = 1 << 20;

/// `statusline`: one line for Claude Code's status bar, always, with exit 0. Reads the JSON
/// Claude Code passes on standard input (`session_id`, `transcript_path`), ingests only what is
/// new in that session's log (waiting at most 50 ms for a ledger being written), then prints
/// this session's cost, today's spend, the active 5-hour window's burn rate and the tightest
/// budget left. What it cannot know it leaves out.
pub fn statusline(data: &DataDir, env: &Env, now_ms: i64, tz: Option<Tz>) {
    let line = match status_line(data, env, now_ms, tz) {
        Ok(l) => l,
        Err(e) => {
            let e = format!("{e:#}");
            format!("tokenworth: {}", e.lines().next().unwrap_or("unavailable"))
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// What Claude Code says of the session, as far as it can be read.
#[derive(Default)]
struct Input {
    session_id: Option<String>,
    transcript: Option<PathBuf>,
}

fn read_input() -> Input {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Input::default();
    }
    let mut text = String::new();
    if stdin.lock().take(STDIN_LIMIT).read_to_string(&mut text).is_err() {
        return Input::default();
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return Input::default() };
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::trim).filter(|x| !x.is_empty());
    Input {
        session_id: s("session_id").map(str::to_owned),
        transcript: s("transcript_path").map(PathBuf::from),
    }
}

fn status_line(data: &DataDir, env: &Env, now_ms: i64, tz: Option<Tz>) -> anyhow::Result<String> {
    let input = read_input();
    let db = data.db();
    if !db.is_file() && input.transcript.is_none() {
        return Ok("tokenworth: no usage recorded yet".into());
    }
    let mut stale = false;
    let mut store = match Store::open(&db) {
        Ok(s) => Some(s),
        Err(e) if db.is_file() && !e.refused() => {
            stale = true;
            Some(Store::open_readonly(&db)?)
        }
        Err(e) => return Err(e.into()),
    };
    if let (Some(s), Some(path)) = (store.as_mut(), &input.transcript) {
        if !stale {
            s.set_busy_timeout(STATUSLINE_BUSY)?;
            let sources = data.source_settings(env)?.enabled();
            let only = [path.clone()];
            let opts = ScanOptions { now_ms: Some(now_ms), only: Some(&only), ..ScanOptions::default() };
            // Locked by another writer beyond the wait: what is stored is shown.
            stale = ingest::scan(s, env, &sources, &opts).is_err();
        }
    }
    let store = store.expect("opened above");
    let table = data.load_price_table()?.table;
    let pricer = Pricer::new(&table);
    let tz = match tz {
        Some(tz) => tz,
        None => config::effective_tz_checked(None, data, env)?.0,
    };
    let today = report::local_date(tz, now_ms);
    let mut parts = Vec::new();
    if let Some(id) = &input.session_id {
        match report::session_totals(&store, &pricer, tokenworth_core::source::claude::ID, id)? {
            Some(t) => parts.push(format!("{} session", usd(t.cost_usd))),
            None => parts.push("new session".into()),
        }
    }
    let day = Filter { since: Some(today), until: Some(today), ..Filter::new(tz) };
    parts.push(format!("{} today", usd(report::periods(&store, &pricer, &day, Period::Day)?.total.cost_usd)));
    // The active window began at most five hours ago; a day back finds where it began unless
    // requests went on without a five-hour pause all that time.
    let recent = Filter { since: today.pred_opt(), ..Filter::new(tz) };
    if let Some(b) = report::blocks(&store, &pricer, &recent, now_ms)?.blocks.iter().find(|b| b.active) {
        parts.push(format!("{}/h", usd(b.burn_at(now_ms).cost_per_hour)));
    }
    let budgets = data.budgets()?;
    let statuses = budget::status(&store, &pricer, &budgets, tz, now_ms)?;
    if let Some(t) = budget::tightest(&statuses) {
        let left = t.limit_usd - t.spent_usd;
        let what = match (&t.source, &t.project) {
            (None, None) => t.period.name().to_owned(),
            (Some(s), None) => format!("{} {s}", t.period),
            (_, Some(p)) => format!("{} {p}", t.period),
        };
        if left >= 0.0 {
            parts.push(format!("{} {what} left", usd(left)));
        } else {
            parts.push(format!("{what} over by {}", usd(-left)));
        }
    }
    if stale {
        parts.push("(ledger busy)".into());
    }
    Ok(parts.join(" · "))
}
