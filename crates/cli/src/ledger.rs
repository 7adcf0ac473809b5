//! The commands that keep the ledger itself safe: `backup`, `restore`, `doctor`, `export`,
//! `import`, and the daily snapshot taken before the first write of a day. Kept apart from
//! `main.rs` so the report commands and these evolve without touching each other.

use std::io::Write;
use std::path::{Path, PathBuf};

use tokenworth_core::backup::{self, BackupError};
use tokenworth_core::config::DataDir;
use tokenworth_core::doctor;
use tokenworth_core::report::Filter;
use tokenworth_core::store::{Store, StoreError};
use tokenworth_core::{exchange, Env};

use crate::{render, UsageError};

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct RestoreArgs {
    /// The snapshot to put back (default: the newest sound one).
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// One JSON object a line: events, sessions, tags, commits, running totals (what import reads).
    #[default]
    Jsonl,
    /// Events only, one row each, with a header row.
    Csv,
}

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ExportArgs {
    /// jsonl (everything, what `import` reads) or csv (events only).
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Write to FILE instead of standard output (written under a temporary name, then renamed).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ImportArgs {
    /// An export in jsonl ("-": standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// An error that is not the ledger refusing: exit code 1 with this message.
fn other(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::Damaged { path, findings } => StoreError::Damaged {
            path,
            detail: findings.into_iter().next().unwrap_or_else(|| "integrity check failed".into()),
        }
        .into(),
        e => anyhow::Error::new(e),
    }
}

/// Before the first write of a day (a scan, a tag, an import): takes the daily snapshot when one
/// is due, then applies retention. A ledger whose copy fails its check is damaged: the run stops
/// before writing (exit 3). A snapshot that cannot be written (a full disk, an unwritable
/// folder) is a warning; the run goes on.
pub fn daily_snapshot(data: &DataDir, env: &Env, now_ms: i64) -> anyhow::Result<()> {
    let db = data.db();
    if !db.exists() {
        return Ok(());
    }
    let settings = data.backup_settings(env)?;
    let warn = |e: &dyn std::fmt::Display| {
        let _ = writeln!(std::io::stderr(), "tokenworth: warning: no daily snapshot: {e}");
    };
    match backup::take_if_due(&db, &settings.dir, now_ms) {
        Ok(None) => return Ok(()),
        Ok(Some(_)) => {}
        Err(e @ BackupError::Damaged { .. }) => return Err(other(e)),
        // Not a database at all: opening it says so (and refuses it).
        Err(BackupError::Sqlite { error, .. })
            if error.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) =>
        {
            return Ok(())
        }
        Err(e) => {
            warn(&e);
            return Ok(());
        }
    }
    if let Err(e) = backup::prune(&settings.dir, settings.keep_daily, settings.keep_weekly) {
        warn(&e);
    }
    Ok(())
}

/// `backup`: a snapshot now (`{"snapshot":"PATH"}`), then retention.
pub fn backup(data: &DataDir, env: &Env, now_ms: i64, json: bool) -> anyhow::Result<()> {
    let settings = data.backup_settings(env)?;
    let path = backup::take(&data.db(), &settings.dir, now_ms).map_err(other)?;
    let removed = backup::prune(&settings.dir, settings.keep_daily, settings.keep_weekly).map_err(other)?;
    let mut out = std::io::stdout().lock();
    if json {
        render::json(&mut out, &serde_json::json!({ "snapshot": path }))?;
    } else {
        writeln!(out, "snapshot {}", path.display())?;
        if !removed.is_empty() {
            writeln!(
                out,
                "removed  {} older snapshots (kept: {} days, {} weeks)",
                removed.len(),
                settings.keep_daily,
                settings.keep_weekly
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `restore [SNAPSHOT]`: puts a snapshot back (the newest sound one when none is named).
pub fn restore(data: &DataDir, env: &Env, args: &RestoreArgs, now_ms: i64, json: bool) -> anyhow::Result<()> {
    let snapshot = match &args.snapshot {
        Some(p) => {
            backup::check_snapshot(p).map_err(|e| UsageError(e.to_string()))?;
            p.clone()
        }
        None => {
            let settings = data.backup_settings(env)?;
            let (found, skipped) = backup::newest_sound(&settings.dir).map_err(other)?;
            for e in skipped {
                let _ = writeln!(std::io::stderr(), "tokenworth: warning: skipped: {e}");
            }
            found.ok_or_else(|| {
                anyhow::anyhow!("no sound snapshot in {} to restore from", settings.dir.display())
            })?
        }
    };
    let r = backup::restore(&data.db(), &snapshot, now_ms).map_err(other)?;
    let mut out = std::io::stdout().lock();
    if json {
        render::json(&mut out, &serde_json::json!({ "restored": r.snapshot, "kept_aside": r.kept_aside }))?;
    } else {
        writeln!(out, "restored {}", r.snapshot.display())?;
        if let Some(a) = &r.kept_aside {
            writeln!(out, "the ledger that was there is kept as {}", a.display())?;
        }
        writeln!(out, "the next scan reads again what the logs still hold since the snapshot")?;
    }
    out.flush()?;
    Ok(())
}

/// `doctor`: exit 0 when sound, 1 with the findings when not.
pub fn doctor(data: &DataDir, env: &Env, json: bool) -> anyhow::Result<bool> {
    let sources =
        data.source_settings(env).map(|s| s.all()).unwrap_or_else(|_| tokenworth_core::source::all());
    let d = doctor::diagnose(&data.db(), &sources);
    // Damage to pages or the WAL stops every later write until a restore; a sound ledger is
    // written to again.
    let marker = tokenworth_core::store::damage_marker(&data.db());
    match d.findings.iter().find(|f| f.check == "file" || f.check == "integrity") {
        Some(f) if d.database.exists() => tokenworth_core::store::mark_damaged(&data.db(), &f.message),
        _ if d.sound && marker.exists() => {
            let _ = std::fs::remove_file(&marker);
        }
        _ => {}
    }
    let mut out = std::io::stdout().lock();
    if json {
        render::json(&mut out, &serde_json::to_value(&d)?)?;
    } else if d.sound {
        writeln!(out, "{}: sound ({} checked)", d.database.display(), d.checked.join(", "))?;
    } else {
        writeln!(
            out,
            "{}: {} problem{}",
            d.database.display(),
            d.findings.len(),
            if d.findings.len() == 1 { "" } else { "s" }
        )?;
        for f in &d.findings {
            writeln!(out, "  {:<9} {}", f.check, f.message)?;
        }
        writeln!(
            out,
            "`tokenworth restore` puts the newest sound snapshot back (the damaged ledger is kept aside)"
        )?;
    }
    out.flush()?;
    Ok(d.sound)
}

/// `export`: what `import` reads (jsonl) or the events as CSV, to stdout or `--output`.
pub fn export(store: &Store, args: &ExportArgs, filter: &Filter, now_ms: i64) -> anyhow::Result<()> {
    let write = |w: &mut dyn Write| -> anyhow::Result<()> {
        let mut w = std::io::BufWriter::new(w);
        match args.format {
            ExportFormat::Jsonl => exchange::export_jsonl(store, filter, now_ms, &mut w)?,
            ExportFormat::Csv => exchange::export_csv(store, filter, &mut w)?,
        }
        w.flush()?;
        Ok(())
    };
    match &args.output {
        None => write(&mut std::io::stdout().lock()),
        Some(path) => {
            let tmp = tmp_beside(path);
            let mut f = std::fs::File::create(&tmp)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
            let r = write(&mut f).and_then(|()| Ok(f.sync_all()?));
            if r.is_err() {
                let _ = std::fs::remove_file(&tmp);
                return r;
            }
            std::fs::rename(&tmp, path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            Ok(())
        }
    }
}

fn tmp_beside(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

/// `import FILE`: merges an export; prints what it added.
pub fn import(store: &mut Store, args: &ImportArgs, json: bool) -> anyhow::Result<()> {
    let r = if args.file.as_os_str() == "-" {
        exchange::import_jsonl(store, std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&args.file)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?;
        exchange::import_jsonl(store, std::io::BufReader::new(f))
    };
    let r = r.map_err(|e| match e {
        exchange::ImportError::Store(s) => anyhow::Error::new(s),
        e => UsageError(e.to_string()).into(),
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        render::json(&mut out, &serde_json::to_value(&r)?)?;
    } else {
        writeln!(
            out,
            "imported {} events ({} already stored), {} sessions, {} tags, {} commits, {} running totals",
            r.events_added, r.events_known, r.sessions, r.tags, r.commits, r.totals
        )?;
    }
    out.flush()?;
    Ok(())
}
