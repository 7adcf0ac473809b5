//! `tokenworth`: the command-line shell over `tokenworth-core`. Parses flags, reads the process
//! environment once, and prints; everything else lives in the core crate.

mod budget;
mod ledger;
mod render;
mod share;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// mimalloc instead of the system allocator: a scan allocates and frees small strings for every
/// record it reads, where glibc's malloc spent ~8% of a cold scan's CPU (issue 12).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::{Parser, Subcommand};
use tokenworth_core::config::{self, DataDir};
use tokenworth_core::ingest::{self, Progress, ScanOptions, ScanReport};
use tokenworth_core::outcomes::{self, Outcome, TagError};
use tokenworth_core::report::{self, Filter, FilterError, Period, Pricer};
use tokenworth_core::store::{self, Store, StoreError};
use tokenworth_core::{source, Env};

/// Exit codes (documented in README).
const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_DATABASE: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "tokenworth",
    version = version(),
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
    #[arg(long, global = true, value_parser = report::parse_date)]
    since: Option<NaiveDate>,
    /// Last local date to include (YYYY-MM-DD or YYYYMMDD).
    #[arg(long, global = true, value_parser = report::parse_date)]
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
    /// Trace what Tokenworth does on stderr (-v: debug, -vv: trace; TOKENWORTH_LOG sets the
    /// level or directives instead). Never prompt text, notes, tokens or file contents.
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
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
    /// Spend per 5-hour window; --active: the current one with its burn rate.
    Blocks {
        /// Only the window still open, with cost per hour, tokens per minute and the projected
        /// cost at its end.
        #[arg(long)]
        active: bool,
    },
    /// Budgets: `budget [list]`, `budget set <daily|weekly|monthly> <USD> [--source ID]
    /// [--project P]`, `budget remove <daily|weekly|monthly> [--source ID] [--project P]`.
    Budget(budget::BudgetArgs),
    /// One line for Claude Code's status bar, from the JSON it passes on standard input
    /// (always exits 0).
    Statusline,
    /// Per tool: where logs were looked for, files, events, skipped lines, unpriced models.
    Sources,
    /// Tag sessions with an outcome: `tag <SESSION>... <OUTCOME>`; `tag --clear <SESSION>...`.
    Tag(TagArgs),
    /// What the spend was worth: spend per outcome, sessions to review, idle burn.
    Outcomes,
    /// The price table in use; `prices update FILE` replaces it with a newer LiteLLM table.
    Prices(PricesArgs),
    /// Opt-in sharing with a team board: join, preview, send, withdraw, leave, status, …
    Share(share::ShareArgs),
    /// Take a snapshot of the ledger now (SQLite online backup, checked, then retention).
    Backup,
    /// Put a snapshot back (the newest sound one when none is named); the ledger there is kept aside.
    Restore(ledger::RestoreArgs),
    /// Check the ledger: integrity, schema, rollup against events, per-day sums against the
    /// rollup, cursors (exit 1 with findings).
    Doctor,
    /// Write events, sessions, tags, commits and running totals (jsonl) or events (csv).
    Export(ledger::ExportArgs),
    /// Merge an export (jsonl; "-": standard input) into the ledger; importing twice changes nothing.
    Import(ledger::ImportArgs),
    /// Print a completion script for a shell (bash, zsh, fish, powershell, elvish) on stdout.
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout: `tokenworth man | man -l -`.
    Man,
}

/// `tokenworth --version`: the CLI's version and the date of the price table it ships with.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!("{} (prices {})", env!("CARGO_PKG_VERSION"), tokenworth_pricing::embedded_date())
    })
}

/// `completions` and `man`: generated from the same definitions that parse the command line, so
/// they always list what this binary accepts. Nothing is read or written besides stdout.
fn print_generated(command: &Command) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    match command {
        Command::Completions { shell } => clap_complete::generate(*shell, &mut cmd, "tokenworth", &mut out),
        _ => clap_mangen::Man::new(cmd).render(&mut out)?,
    }
    out.flush()?;
    Ok(())
}

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
struct PricesArgs {
    #[command(subcommand)]
    action: Option<PricesAction>,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
enum PricesAction {
    /// Check LiteLLM's model_prices_and_context_window.json in FILE and price every report with
    /// it from now on (the table in use is kept when FILE is refused).
    Update {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
struct TagArgs {
    /// Session ids (or unique id prefixes), then the outcome: shipped, fixed, explored,
    /// abandoned or wasted. With --clear: only session ids.
    #[arg(required = true, num_args = 1.., value_name = "SESSION... OUTCOME")]
    args: Vec<String>,
    /// A note (at most 10,000 characters; "" removes it; left out: kept).
    #[arg(long, conflicts_with_all = ["clear", "note_file"])]
    note: Option<String>,
    /// Read the note from a file ("-": standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "clear")]
    note_file: Option<PathBuf>,
    /// A link, an http(s) URL such as a PR or issue ("" removes it; left out: kept).
    #[arg(long, conflicts_with = "clear")]
    link: Option<String>,
    /// Remove the sessions' tags.
    #[arg(long)]
    clear: bool,
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
    if cli.opts.verbose > 0 {
        trace_to_stderr(cli.opts.verbose);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(Exit(code)) = e.downcast_ref::<Exit>() {
                return ExitCode::from(*code);
            }
            if let Some(StoreError::Damaged { path, detail }) = e.downcast_ref::<StoreError>() {
                store::mark_damaged(path, detail);
            }
            let code = match e.downcast_ref::<StoreError>() {
                Some(s) if s.refused() => EXIT_DATABASE,
                Some(_) => EXIT_ERROR,
                None if e.downcast_ref::<UsageError>().is_some() => EXIT_USAGE,
                None => EXIT_ERROR,
            };
            // A reader that stopped early (`| head`) wherever the write failed: not an error.
            let broken_pipe = |c: &(dyn std::error::Error + 'static)| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            };
            if e.chain().any(broken_pipe) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "tokenworth: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// `-v`: the libraries' `tracing` events on stderr, for Tokenworth's own crates.
fn trace_to_stderr(verbose: u8) {
    use tokenworth_core::logfile::filter_directives;
    let level = if verbose > 1 { "trace" } else { "debug" };
    let asked = std::env::var("TOKENWORTH_LOG").ok().filter(|v| !v.trim().is_empty());
    let directives = match asked.as_deref().map(|v| (v, filter_directives(v))) {
        Some((_, Some(d))) => d,
        Some((v, None)) => {
            let _ = writeln!(
                std::io::stderr(),
                "tokenworth: warning: TOKENWORTH_LOG={v} is not a level; using {level}"
            );
            filter_directives(level).unwrap_or_default()
        }
        None => filter_directives(level).unwrap_or_default(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter_directives(level).unwrap_or_default()));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .try_init();
}

/// Ends the run with this exit code, having said what there was to say.
#[derive(Debug)]
struct Exit(u8);
impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}
impl std::error::Error for Exit {}

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
    if matches!(command, Command::Completions { .. } | Command::Man) {
        return print_generated(&command);
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    if let Some(s) = &o.source {
        let known = source::all();
        if !known.iter().any(|x| x.id() == s) {
            let known: Vec<&str> = known.iter().map(|x| x.id()).collect();
            return Err(UsageError(format!("unknown source '{s}' (known: {})", known.join(", "))).into());
        }
    }
    // Checked before anything is read or written; the zone is known once the data dir is.
    let asked = Filter::checked(Tz::UTC, o.since, o.until, o.source.as_deref(), o.project.as_deref())
        .map_err(|e| match e {
            FilterError::Inverted { since, until } => {
                UsageError(format!("--since {since} is after --until {until}"))
            }
        })?;
    let data = DataDir::resolve(o.data_dir.clone(), &env);
    if command == Command::Statusline {
        budget::statusline(&data, &env, now_ms, o.timezone);
        return Ok(());
    }
    if data.root.exists() && !data.root.is_dir() {
        anyhow::bail!(
            "the data dir {} is a file, not a folder: give --data-dir a folder",
            data.root.display()
        );
    }
    if let Command::Prices(p) = &command {
        return prices(&data, p, o.json);
    }
    if let Command::Budget(budget::BudgetArgs { action: Some(a) }) = &command {
        if *a != budget::BudgetAction::List {
            return budget::edit(&data, a, asked.source.as_deref(), asked.project.as_deref(), o.json);
        }
    }
    if let Command::Share(a) = &command {
        return share::run(&data, &env, a, &o, now_ms);
    }
    match &command {
        Command::Backup => return ledger::backup(&data, &env, now_ms, o.json),
        Command::Restore(a) => return ledger::restore(&data, &env, a, now_ms, o.json),
        Command::Doctor => {
            return match ledger::doctor(&data, &env, o.json)? {
                true => Ok(()),
                false => Err(Exit(EXIT_ERROR).into()),
            }
        }
        Command::Import(a) => {
            ledger::daily_snapshot(&data, &env, now_ms)?;
            let mut store = Store::open(&data.db())?;
            return ledger::import(&mut store, a, o.json);
        }
        _ => {}
    }
    let (data_dir, db_path) = (data.root.clone(), data.db());
    // `[sources.<id>]` in config.toml: which are off, and their extra folders.
    let settings = data.source_settings(&env)?;
    let sources = settings.enabled();
    // The day's snapshot is taken before its first write (and checks the ledger whole).
    if !o.no_scan || matches!(command, Command::Scan | Command::Tag(_)) {
        ledger::daily_snapshot(&data, &env, now_ms)?;
    }
    let writes = matches!(command, Command::Scan | Command::Tag(_));
    let warn = |w: &dyn std::fmt::Display| {
        let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
    };
    // A ledger that cannot be written is still reported on: what is stored, with a warning.
    let mut read_only = false;
    let mut store = match Store::open(&db_path) {
        Ok(s) => s,
        Err(e) if e.read_only() && !writes && db_path.is_file() => {
            warn(&format_args!("{e}; the scan could not be stored: reporting what is stored"));
            read_only = true;
            Store::open_readonly(&db_path)?
        }
        Err(e) => return Err(e.into()),
    };
    // Joined before `store` closes (the scope ends first).
    std::thread::scope(|threads| -> anyhow::Result<()> {
        // The price table does not depend on the logs: it is parsed while they are read.
        let prices = threads.spawn(|| data.load_price_table());

        let mut scan_report: Option<ScanReport> = None;
        if (!o.no_scan || command == Command::Scan) && !read_only {
            // The ledger keeps its per-day sums in the user's own zone (not --timezone's, which
            // may be asked once): their day reports read a row per day.
            let day_zone = config::effective_tz_checked(None, &data, &env).ok().map(|(tz, _)| tz);
            scan_report = match scan(&mut store, &env, &sources, now_ms, day_zone) {
                Ok(r) => Some(r),
                Err(e) if !writes && e.downcast_ref::<StoreError>().is_some_and(StoreError::read_only) => {
                    warn(&format_args!("{e:#}; the scan could not be stored, reporting what is stored"));
                    None
                }
                Err(e) => return Err(e),
            };
            // A scan that stored events leaves them in the write-ahead log; they are copied into the
            // database on another connection while this one reports, instead of at its close.
            if scan_report.as_ref().is_some_and(|r| r.events() > 0) {
                threads.spawn(|| Store::checkpoint(&db_path));
            }
            if let Some(r) = &scan_report {
                for w in &r.warnings {
                    let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
                }
            }
            // Commits are looked for after a scan, for the commands that show them (incremental:
            // only sessions that are new, moved on, or still in their grace window).
            if matches!(command, Command::Scan | Command::Session | Command::Outcomes) {
                let link = outcomes::link_commits(&store, &env, now_ms)?;
                for w in &link.warnings {
                    let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
                }
            }
        }

        let loaded = prices.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        if let Some(w) = &loaded.warning {
            let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
        }
        let table = loaded.table;
        let pricer = Pricer::new(&table);
        let (tz, tz_warning) = config::effective_tz_checked(o.timezone, &data, &env)?;
        if let Some(w) = tz_warning {
            warn(&w);
        }
        let filter = Filter { tz, ..asked };
        let color = std::io::stdout().is_terminal() && env.var("NO_COLOR").is_none();
        // Buffered: stdout alone writes every line with a system call of its own (2,800 of
        // them for 60 days of `daily --json`).
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());

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
                let rep = report::periods_with(&store, &pricer, &filter, period, o.breakdown)?;
                if o.json {
                    report::PeriodJson { report: &rep, period, breakdown: o.breakdown }
                        .write_pretty(&mut out)?;
                    writeln!(out)?;
                } else {
                    render::period_table(&mut out, &rep, period, o.breakdown, color)?;
                }
            }
            Command::Tag(t) => {
                let n = tag(&store, &t, o.source.as_deref(), now_ms)?;
                let key = if t.clear { "cleared" } else { "tagged" };
                if o.json {
                    render::json(&mut out, &serde_json::json!({ key: n }))?;
                } else {
                    writeln!(out, "{key} {n} session{}", if n == 1 { "" } else { "s" })?;
                }
            }
            Command::Outcomes => {
                let rep = outcomes::outcomes_report(&store, &pricer, &filter)?;
                if o.json {
                    render::json(&mut out, &serde_json::to_value(&rep)?)?;
                } else {
                    render::outcomes_table(&mut out, &rep, color)?;
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
            Command::Blocks { active } => {
                let mut rep = report::blocks(&store, &pricer, &filter, now_ms)?;
                if active {
                    rep.blocks.retain(|b| b.active);
                    for b in &mut rep.blocks {
                        b.burn = Some(b.burn_at(now_ms));
                    }
                    rep.total = rep.blocks.first().map(|b| b.total).unwrap_or_default();
                }
                if o.json && active {
                    render::json(&mut out, &serde_json::json!({ "blocks": rep.blocks }))?;
                } else if o.json {
                    render::json(&mut out, &serde_json::to_value(&rep)?)?;
                } else {
                    render::blocks_table(&mut out, &rep, color)?;
                }
            }
            Command::Budget(_) => {
                // Budgets are for everything or their own tool and project: the report's
                // --source and --project do not narrow them.
                let statuses =
                    tokenworth_core::budget::status(&store, &pricer, &data.budgets()?, tz, now_ms)?;
                budget::list(&mut out, &statuses, o.json, color)?;
            }
            Command::Export(a) => ledger::export(&store, &a, &filter, now_ms)?,
            Command::Prices(_)
            | Command::Share(_)
            | Command::Backup
            | Command::Restore(_)
            | Command::Doctor
            | Command::Import(_)
            | Command::Completions { .. }
            | Command::Man
            | Command::Statusline => unreachable!("answered before the ledger is opened"),
            Command::Sources => {
                let known = settings.all();
                let stats = ingest::stored_source_stats(&store)?;
                let drift = ingest::drift(&store, &env, &known)?;
                let unpriced = report::unpriced_models(&store, &pricer)?;
                let v = report::sources_json(&report::SourcesView {
                    sources: &known,
                    settings: &settings,
                    env: &env,
                    stats: &stats,
                    drift: &drift,
                    unpriced: &unpriced,
                    data_dir: &data_dir,
                    db: &db_path,
                    price_version: table.version(),
                });
                if o.json {
                    render::json(&mut out, &v)?;
                } else {
                    render::sources_table(&mut out, &v, color)?;
                }
            }
        }
        out.flush()?;
        Ok(())
    })
}

/// `prices`: which table is in use; `prices update FILE`: check FILE and save it as the table in
/// use. Neither reads the logs nor opens the ledger (costs are computed at report time).
fn prices(data: &DataDir, p: &PricesArgs, json: bool) -> anyhow::Result<()> {
    let (version, models, file, updated) = match &p.action {
        Some(PricesAction::Update { file }) => {
            // A FILE that cannot be read or is refused is the user's input: a usage error.
            let table = config::read_price_update(file)
                .map_err(|e| UsageError(format!("{e}; the price table in use is kept")))?;
            let path = data.save_price_table(&table)?;
            (table.version().to_owned(), table.len(), Some(path), true)
        }
        None => {
            let loaded = data.load_price_table()?;
            if let Some(w) = &loaded.warning {
                let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
            }
            (loaded.table.version().to_owned(), loaded.table.len(), loaded.file, false)
        }
    };
    let mut out = std::io::stdout().lock();
    if json {
        render::json(
            &mut out,
            &serde_json::json!({ "price_table": version, "models": models, "file": file }),
        )?;
    } else {
        let from = match &file {
            Some(f) => f.display().to_string(),
            None => "shipped with tokenworth".to_owned(),
        };
        writeln!(out, "prices   {version} ({models} models)")?;
        writeln!(out, "file     {from}")?;
        if updated {
            writeln!(out, "every report prices all stored usage with this table from now on")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `tag`: the last argument is the outcome, the others session ids (all ids with `--clear`).
fn tag(store: &Store, t: &TagArgs, source: Option<&str>, now_ms: i64) -> anyhow::Result<usize> {
    let usage = |e: TagError| -> anyhow::Error {
        match e {
            TagError::Store(s) => s.into(),
            e => UsageError(e.to_string()).into(),
        }
    };
    if t.clear {
        return outcomes::clear_tags_in(store, &t.args, source).map_err(usage);
    }
    let Some((outcome, ids)) = t.args.split_last() else {
        return Err(UsageError("usage: tokenworth tag <SESSION>... <OUTCOME>".into()).into());
    };
    let outcome: Outcome = outcome.parse().map_err(usage)?;
    if ids.is_empty() {
        return Err(UsageError(format!("no session id given: tokenworth tag <SESSION>... {outcome}")).into());
    }
    let note = match &t.note_file {
        Some(path) => Some(read_note(path)?),
        None => t.note.clone(),
    };
    outcomes::tag_sessions_in(store, ids, source, outcome, note.as_deref(), t.link.as_deref(), now_ms)
        .map_err(usage)
}

/// Reads a note file (or stdin for "-"), never more than a note may hold.
fn read_note(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    // A character is at most 4 bytes in UTF-8.
    let cap = (outcomes::MAX_NOTE_CHARS * 4) as u64;
    let mut buf = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(cap + 1).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(cap + 1).read_to_end(&mut buf))
    };
    read.map_err(|e| UsageError(format!("cannot read note file {}: {e}", path.display())))?;
    if buf.len() as u64 > cap {
        return Err(UsageError(format!(
            "note file {} is over {cap} bytes; a note holds at most {} characters",
            path.display(),
            outcomes::MAX_NOTE_CHARS
        ))
        .into());
    }
    String::from_utf8(buf)
        .map_err(|_| UsageError(format!("note file {} is not UTF-8 text", path.display())).into())
}

/// Scans, drawing a progress bar on stderr once a scan has taken over a second.
fn scan(
    store: &mut Store,
    env: &Env,
    sources: &[Box<dyn source::Source>],
    now_ms: i64,
    day_zone: Option<Tz>,
) -> anyhow::Result<ScanReport> {
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
    let opts =
        ScanOptions { progress: Some(&progress), now_ms: Some(now_ms), day_zone, ..ScanOptions::default() };
    let report = ingest::scan(store, env, sources, &opts)?;
    if drawn.get() {
        let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(72));
    }
    Ok(report)
}
