//! `tokenworth`: the command-line shell over `tokenworth-core`. Parses flags, reads the process
//! environment once, and prints; everything else lives in the core crate.

mod render;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::{Parser, Subcommand};
use tokenworth_core::config::{self, DataDir};
use tokenworth_core::ingest::{self, Progress, ScanOptions, ScanReport};
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::{Store, StoreError};
use tokenworth_core::{source, Env};

/// Exit codes (documented in README).
const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_DATABASE: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "tokenworth",
    version,
    about = "Private token spend of AI coding tools, counted once, kept forever"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    opts: Opts,
}

#[derive(clap::Args, Debug, Clone)]
struct Opts {
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Report on what is stored, without scanning the logs first.
    #[arg(long, global = true)]
    no_scan: bool,
    /// First local date to include (YYYY-MM-DD or YYYYMMDD).
    #[arg(long, global = true, value_parser = parse_date)]
    since: Option<NaiveDate>,
    /// Last local date to include (YYYY-MM-DD or YYYYMMDD).
    #[arg(long, global = true, value_parser = parse_date)]
    until: Option<NaiveDate>,
    /// IANA time zone that splits days (default: the system's).
    #[arg(long, global = true, value_parser = parse_tz)]
    timezone: Option<Tz>,
    /// Only this tool (claude-code, codex).
    #[arg(long, global = true)]
    source: Option<String>,
    /// Only this project: its directory (and those below it) or its last path component.
    #[arg(long, global = true)]
    project: Option<String>,
    /// Break totals down per model.
    #[arg(long, global = true)]
    breakdown: bool,
    /// Where Tokenworth keeps its database and config.toml.
    #[arg(long, global = true, env = "TOKENWORTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    /// Ingest what is new in the logs and say what was read.
    Scan,
    /// Spend per day (the default).
    Daily,
    /// Spend per ISO week (starting Monday).
    Weekly,
    /// Spend per month.
    Monthly,
    /// Spend per session.
    Session,
    /// Spend per 5-hour window.
    Blocks,
    /// Per tool: where logs were looked for, files, events, skipped lines, unpriced models.
    Sources,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .map_err(|_| format!("'{s}' is not a date: use YYYY-MM-DD or YYYYMMDD"))
}

fn parse_tz(s: &str) -> Result<Tz, String> {
    config::parse_tz(s)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = match e.downcast_ref::<StoreError>() {
                Some(_) => EXIT_DATABASE,
                None if e.downcast_ref::<UsageError>().is_some() => EXIT_USAGE,
                None => EXIT_ERROR,
            };
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            let _ = writeln!(std::io::stderr(), "tokenworth: {e:#}");
            ExitCode::from(code)
        }
    }
}

#[derive(Debug)]
struct UsageError(String);
impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

fn run(cli: Cli) -> anyhow::Result<()> {
    let env = Env::from_process();
    let o = cli.opts;
    let command = cli.command.unwrap_or(Command::Daily);
    if let (Some(s), Some(u)) = (o.since, o.until) {
        if s > u {
            return Err(UsageError(format!("--since {s} is after --until {u}")).into());
        }
    }
    let sources = source::all();
    if let Some(s) = &o.source {
        if !sources.iter().any(|x| x.id() == s) {
            let known: Vec<&str> = sources.iter().map(|x| x.id()).collect();
            return Err(UsageError(format!("unknown source '{s}' (known: {})", known.join(", "))).into());
        }
    }
    let data = DataDir::resolve(o.data_dir.clone(), &env);
    let (data_dir, db_path) = (data.root.clone(), data.db());
    let mut store = Store::open(&db_path)?;

    let mut scan_report: Option<ScanReport> = None;
    if !o.no_scan || command == Command::Scan {
        scan_report = Some(scan(&mut store, &env, &sources)?);
        if let Some(r) = &scan_report {
            for w in &r.warnings {
                let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
            }
        }
    }

    let table = data.price_table()?;
    let pricer = Pricer::new(&table);
    let tz = config::effective_tz(o.timezone, &data, &env)?;
    let filter =
        Filter { since: o.since, until: o.until, tz, source: o.source.clone(), project: o.project.clone() };
    let color = std::io::stdout().is_terminal() && env.var("NO_COLOR").is_none();
    let mut out = std::io::stdout().lock();

    match command {
        Command::Scan => {
            let r = scan_report.unwrap_or_default();
            if o.json {
                render::json(&mut out, &render::scan_json(&r))?;
            } else {
                render::scan_table(&mut out, &r, color)?;
            }
        }
        Command::Daily | Command::Weekly | Command::Monthly => {
            let period = match command {
                Command::Daily => Period::Day,
                Command::Weekly => Period::Week,
                _ => Period::Month,
            };
            let rep = report::periods(&store, &pricer, &filter, period)?;
            if o.json {
                render::json(&mut out, &report::period_json(&rep, period, o.breakdown))?;
            } else {
                render::period_table(&mut out, &rep, period, o.breakdown, color)?;
            }
        }
        Command::Session => {
            let rep = report::sessions(&store, &pricer, &filter)?;
            if o.json {
                render::json(&mut out, &serde_json::to_value(&rep)?)?;
            } else {
                render::session_table(&mut out, &rep, color)?;
            }
        }
        Command::Blocks => {
            let now = chrono::Utc::now().timestamp_millis();
            let rep = report::blocks(&store, &pricer, &filter, now)?;
            if o.json {
                render::json(&mut out, &serde_json::to_value(&rep)?)?;
            } else {
                render::blocks_table(&mut out, &rep, color)?;
            }
        }
        Command::Sources => {
            let stats = ingest::stored_source_stats(&store)?;
            let unpriced = report::unpriced_models(&store, &pricer)?;
            let v =
                report::sources_json(&sources, &env, &stats, &unpriced, &data_dir, &db_path, table.version());
            if o.json {
                render::json(&mut out, &v)?;
            } else {
                render::sources_table(&mut out, &v, color)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Scans, drawing a progress bar on stderr once a scan has taken over a second.
fn scan(store: &mut Store, env: &Env, sources: &[Box<dyn source::Source>]) -> anyhow::Result<ScanReport> {
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let last_draw = std::cell::Cell::new(0u128);
    let drawn = std::cell::Cell::new(false);
    let progress = |p: Progress| {
        let ms = started.elapsed().as_millis();
        if !tty || ms < 1000 || ms - last_draw.get() < 100 {
            return;
        }
        last_draw.set(ms);
        drawn.set(true);
        let frac = if p.bytes_total == 0 { 1.0 } else { p.bytes_done as f64 / p.bytes_total as f64 };
        let filled = (frac * 30.0) as usize;
        let _ = write!(
            std::io::stderr(),
            "\rscanning [{}{}] {:>3.0}% {}/{} files, {} MB",
            "#".repeat(filled.min(30)),
            ".".repeat(30 - filled.min(30)),
            frac * 100.0,
            p.files_done,
            p.files_total,
            p.bytes_done >> 20
        );
    };
    let opts = ScanOptions { progress: Some(&progress), threads: 0 };
    let report = ingest::scan(store, env, sources, &opts)?;
    if drawn.get() {
        let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(72));
    }
    Ok(report)
}
