//! Finds each source's log files, reads what is new since the last scan and commits it.
//!
//! Per file: unchanged size and mtime → nothing is read. Grown → the head and the bytes before
//! the stored offset are fingerprinted; if they still match, reading resumes at the offset,
//! otherwise (a file rewritten in place, compacted, replaced) it is read again from byte 0 and
//! the store's keys keep already stored events from doubling. Only complete lines are consumed: a
//! half-written last line waits for its newline. Files are parsed on worker threads; the calling
//! thread is the one writer and commits events with their files' cursors.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::env::Env;
use crate::hash;
use crate::model::{Observation, Output, UsageEvent};
use crate::source::{database, DocOutcome, FileKind, LineOutcome, Shape, Source};
use crate::store::{Cursor, FileUpdate, Store, StoreError};
use crate::walk::{self, mtime_ns, Listings, WalkLog};

/// Bytes hashed at the head of a file and before its offset to notice a replaced file.
const FINGERPRINT_BYTES: u64 = 4096;
/// Bytes asked of one `read`: small enough that the buffer stays in the CPU cache (a larger
/// one made the kernel's copy the most expensive part of a scan).
const CHUNK: usize = 256 << 10;
/// A worker's read buffer: several chunks, so the partial line left at the end of a read is
/// moved to the front only when less than a chunk is free (once every few reads, not after each:
/// the lines of an agent's log are often tens of KB, and moving them was ~4% of a cold scan).
const BUFFER: usize = 4 * CHUNK;
/// Commit after this many events or files, bounding memory and the work a crash repeats. Each
/// commit rewrites the index pages its random keys touched and checkpoints them, so fewer,
/// larger commits cost less: 200k events (a few GB of logs) took a cold 1 GB scan from
/// ~0.68 to ~0.58 s of CPU compared with 50k.
const COMMIT_EVENTS: usize = 200_000;
const COMMIT_FILES: usize = 2_000;
/// A first scan reading at least this much stores its events before indexing them by time.
pub const BULK_BYTES: u64 = 64 << 20;
/// Parsed files waiting for the writer. A file's events are a small fraction of its bytes.
const CHANNEL_FILES: usize = 64;
/// A document larger than this is not read (a warning says so): no tool writes one, and reading
/// it whole would cost the memory of a hostile file.
const MAX_DOCUMENT: u64 = 256 << 20;

/// Progress of a scan, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: usize,
    pub files_total: usize,
}

#[derive(Default)]
pub struct ScanOptions<'a> {
    /// Called from the writer thread as files complete.
    pub progress: Option<&'a dyn Fn(Progress)>,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// The time of the scan (ms since the epoch), from the shell's clock: records dated more
    /// than a day after it are skipped and counted. `None`: no upper bound.
    pub now_ms: Option<i64>,
    /// Only these files (those of them that are a source's logs, under its roots), without
    /// walking the roots: the status line reads its own session's log. Files not named are left
    /// as they are (none is marked missing).
    pub only: Option<&'a [PathBuf]>,
    /// A first scan (no event stored yet) reading at least this many bytes is a bulk load
    /// (`None`: [`BULK_BYTES`]): its events are indexed by time once, at its end.
    pub bulk_bytes: Option<u64>,
    /// The writer's zone (config.toml's or the system's): the ledger keeps its per-day sums in
    /// it (`Batch::keep_days`), so day, week and month reports in that zone read a row per day.
    /// `None`: the per-day table is kept as it is.
    pub day_zone: Option<Tz>,
}

/// Records dated before this (2020-01-01T00:00:00Z) are skipped and counted: no tool of this
/// kind logged usage before, and a year 0000 is a broken record, not history.
pub const EARLIEST_MS: i64 = 1_577_836_800_000;

/// Why a record is not stored, or `None` when it is plausible: every token count within
/// [`crate::store::MAX_TOKENS`] and its time between [`EARLIEST_MS`] and a day after `now_ms`.
/// A running total's observation may carry no time (`ts_ms` 0: the file's time is used):
/// `observation` allows that.
pub fn implausible(e: &UsageEvent, now_ms: Option<i64>, observation: bool) -> Option<&'static str> {
    let t = &e.tokens;
    let max = crate::store::MAX_TOKENS as u64;
    if [t.input, t.cache_write_5m, t.cache_write_1h, t.cache_read, t.output, t.reasoning]
        .iter()
        .any(|&n| n > max)
    {
        return Some("token counts beyond any plausible request");
    }
    if e.logged_cost_usd.is_some_and(|c| !c.is_finite() || !(-1e9..=1e9).contains(&c)) {
        return Some("a logged cost that is not a plausible number");
    }
    if e.ts_ms < EARLIEST_MS && !(observation && e.ts_ms == 0) {
        return Some("a time before 2020");
    }
    if now_ms.is_some_and(|now| e.ts_ms > now + 24 * 60 * 60 * 1000) {
        return Some("a time more than a day after the scan");
    }
    None
}

/// What one source's discovery found.
#[derive(Debug, Clone, Default)]
pub struct SourceScan {
    pub id: &'static str,
    /// Roots that exist.
    pub roots: Vec<PathBuf>,
    /// Roots looked at that do not exist.
    pub missing_roots: Vec<PathBuf>,
    pub files: usize,
    pub files_read: usize,
    pub bytes_read: u64,
    pub events: usize,
    pub skipped_lines: u64,
    /// Files under a root that the source did not recognise (possible format drift).
    pub unknown_files: usize,
    /// The oldest modification time among them (ms since the epoch).
    pub unknown_since_ms: Option<i64>,
    /// Documents that were not complete JSON (being written): read again at their next change.
    pub waiting: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    pub sources: Vec<SourceScan>,
    /// Non-fatal problems (an unreadable directory or file); the rest was scanned.
    pub warnings: Vec<String>,
    pub duration: Duration,
    /// Folders read, and folders whose kept listing (unchanged since it was read) stood in
    /// for reading them (`crate::walk`).
    pub folders_read: usize,
    pub folders_kept: usize,
}

impl ScanReport {
    pub fn bytes_read(&self) -> u64 {
        self.sources.iter().map(|s| s.bytes_read).sum()
    }
    pub fn events(&self) -> usize {
        self.sources.iter().map(|s| s.events).sum()
    }
}

struct Job {
    source: usize,
    path: PathBuf,
    key: String,
    size: u64,
    mtime_ns: i64,
    identity: String,
    cursor: Option<Cursor>,
    /// Known to need a read from byte 0 without checking the fingerprint.
    from_start: bool,
    shape: Shape,
}

struct Done {
    source: usize,
    update: FileUpdate,
    events: Vec<UsageEvent>,
    totals: Vec<Observation>,
    bytes: u64,
    /// A document that was not complete JSON: nothing taken from it.
    waiting: bool,
}

/// Scans every source and commits what is new. Fails only when the database cannot be written;
/// unreadable files and directories become warnings.
pub fn scan(
    store: &mut Store,
    env: &Env,
    sources: &[Box<dyn Source>],
    opts: &ScanOptions,
) -> Result<ScanReport, StoreError> {
    let started = Instant::now();
    let mut report = ScanReport::default();
    // The logs are found and stat-ed on another thread while the cursors are read: a scan that
    // finds nothing new (every warm report) is mostly these two.
    let only = opts.only;
    // The listings of folders unchanged since they were read stand in for reading them again.
    let listings = match only {
        None => Some(Listings {
            kept: store.listings()?,
            now_ns: opts.now_ms.map(|ms| ms.saturating_mul(1_000_000)),
        }),
        Some(_) => None,
    };
    let find = |source: &dyn Source| {
        let mut warnings = Vec::new();
        let mut log = WalkLog::default();
        let mut found = match only {
            None => discover_with(source, env, &mut warnings, listings.as_ref(), &mut log),
            Some(paths) => named_logs(source, env, paths),
        };
        let metas: Vec<_> = std::mem::take(&mut found.log_meta)
            .into_iter()
            .zip(&found.logs)
            .map(|(meta, (path, _))| match meta {
                Some(m) => Ok(m),
                None => std::fs::metadata(path),
            })
            .collect();
        (found, warnings, metas, log)
    };
    // Two finders take the sources in turn (listing directories is mostly waiting on the
    // kernel), while this thread reads the cursors.
    let next = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Found>>> = sources.iter().map(|_| Default::default()).collect();
    let cursors = std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(source) = sources.get(i) else { break };
                let found = find(source.as_ref());
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(found);
            });
        }
        match opts.only {
            None => store.present_cursors(),
            Some(paths) => store
                .cursors_of(&paths.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>())
                .map(|c| c.into_iter().collect()),
        }
    });
    // Every slot is filled (a finder's panic would have ended the scope with it).
    let finds: Vec<Found> = slots
        .into_iter()
        .zip(sources)
        .map(|(slot, source)| {
            slot.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_else(|| find(source.as_ref()))
        })
        .collect();
    let cursors = cursors?;
    let mut jobs = Vec::new();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut scanned_roots: Vec<PathBuf> = Vec::new();

    let mut fresh = Vec::new();
    let mut visited: FxHashSet<&str> = FxHashSet::default();
    for ((si, source), (found, warnings, metas, log)) in sources.iter().enumerate().zip(finds) {
        report.warnings.extend(warnings);
        fresh.extend(log.fresh);
        visited.extend(log.visited);
        report.folders_read += log.read;
        report.folders_kept += log.kept;
        let mut s = SourceScan {
            id: source.id(),
            missing_roots: found.missing_roots,
            unknown_files: found.unknown_files,
            unknown_since_ms: found.unknown_since_ms,
            ..Default::default()
        };
        for ((path, shape), meta) in found.logs.into_iter().zip(metas) {
            let key = match path.to_str() {
                Some(k) => k.to_owned(),
                None => path.to_string_lossy().into_owned(),
            };
            if !seen.insert(key.clone()) {
                continue;
            }
            s.files += 1;
            let meta = match meta {
                Ok(m) => m,
                Err(e) => {
                    report.warnings.push(format!("cannot read {}: {e}", path.display()));
                    continue;
                }
            };
            if !meta.is_file() {
                // A named pipe or device would block the read or never end.
                report.warnings.push(format!("skipped {}: not a regular file", path.display()));
                continue;
            }
            let (size, mtime_ns) = size_and_mtime(&path, &meta, shape);
            // The file's identity as the cursor stores it, made only for a file to read.
            let same_file = |c: &Cursor| same_identity(&meta, &c.identity);
            // A full scan compares with the present files' short cursors, and reads the whole
            // cursor of a file it is going to read; a file not among them is new, or back after
            // it was missing.
            let whole = |store: &Store| -> Result<Option<Cursor>, StoreError> {
                Ok(store.cursors_of(std::slice::from_ref(&key))?.remove(&key))
            };
            let cursor = match cursors.get(&key) {
                Some(c) if c.source == source.id() && same_file(c) && size >= c.offset && !c.missing => {
                    if c.size == size && c.mtime_ns == mtime_ns {
                        continue; // unchanged
                    }
                    if opts.only.is_some() {
                        Some(c.clone())
                    } else {
                        whole(store)?
                    }
                }
                Some(c) if opts.only.is_some() => Some(c.clone()),
                Some(_) => whole(store)?,
                None if opts.only.is_none() => whole(store)?,
                None => None,
            };
            let from_start = match &cursor {
                None => true,
                Some(c) => {
                    if c.source != source.id() || !same_file(c) || size < c.offset || c.missing {
                        true
                    } else {
                        // A document is always read whole; a database and a line file
                        // resume from their state.
                        shape == Shape::Document
                    }
                }
            };
            let identity = identity(&meta);
            jobs.push(Job { source: si, path, key, size, mtime_ns, identity, cursor, from_start, shape });
        }
        if opts.only.is_none() {
            scanned_roots.extend(found.roots.iter().cloned());
        }
        s.roots = found.roots;
        report.sources.push(s);
    }

    // Files gone from a scanned root keep their events; the cursor only notes they are missing.
    let gone: Vec<String> = cursors
        .values()
        .filter(|_| opts.only.is_none())
        .filter(|c| !c.missing && !seen.contains(&c.path))
        .filter(|c| {
            scanned_roots.iter().any(|r| Path::new(&c.path).starts_with(r)) || !Path::new(&c.path).exists()
        })
        .map(|c| c.path.clone())
        .collect();
    // Nothing to read, and the per-day sums kept in the writer's zone already.
    let days_kept = match opts.day_zone {
        None => true,
        Some(tz) => store.day_zone()?.as_deref() == Some(tz.name()),
    };
    // Listings read afresh are kept; those of folders no walk reached are gone.
    let listings_gone: Vec<String> = listings
        .as_ref()
        .map(|l| l.kept.keys().filter(|k| !visited.contains(k.as_str())).cloned().collect())
        .unwrap_or_default();
    if jobs.is_empty() && gone.is_empty() && days_kept {
        // Nothing to write but changed listings, if any: no write lock otherwise (a report
        // runs beside another scan).
        store.keep_listings(&fresh, &listings_gone)?;
        report.duration = started.elapsed();
        return Ok(report);
    }

    // Biggest first, so one huge file does not finish last alone; the path breaks ties. The
    // writer applies the files in this order whatever order the workers finish them in, so a
    // record found in two files (a resumed copy, a fork) always goes to the same one.
    jobs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.key.cmp(&b.key)));
    let bytes_total: u64 =
        jobs.iter().map(|j| j.size.saturating_sub(j.cursor.as_ref().map_or(0, |c| c.offset))).sum();
    let files_total = jobs.len();

    let threads = if opts.threads > 0 {
        opts.threads
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
    .clamp(1, 8)
    .min(jobs.len().max(1));

    let next = AtomicUsize::new(0);
    let window = Window::default();
    // Room for many finished files, so parsing goes on while the writer commits.
    let (tx, rx) = mpsc::sync_channel::<(usize, Result<Done, String>)>(CHANNEL_FILES);
    let result = std::thread::scope(|scope| -> Result<(), StoreError> {
        for _ in 0..threads {
            let tx = tx.clone();
            let (jobs, next, window) = (&jobs, &next, &window);
            scope.spawn(move || {
                // One read buffer per worker, reused for every file.
                let mut buf = vec![0u8; BUFFER];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    // At most CHANNEL_FILES files parsed ahead of the one the writer waits for.
                    if !window.wait_for(i.saturating_sub(CHANNEL_FILES)) {
                        break;
                    }
                    let out = read_file(sources[job.source].as_ref(), job, &mut buf);
                    if tx.send((i, out)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // The workers stop waiting when the writer leaves, however it leaves.
        let _closed = WindowClosed(&window);

        let mut batch = store.batch()?;
        // A first scan of much history stores its events without the time index and builds it
        // once at the end; any scan restores it if such a scan stopped before its end.
        let bulk = bytes_total >= opts.bulk_bytes.unwrap_or(BULK_BYTES) && batch.no_events()?;
        if bulk || !batch.has_time_index()? {
            batch.set_time_index(!bulk)?;
        }
        if let Some(tz) = opts.day_zone {
            batch.keep_days(tz)?;
        }
        batch.mark_missing(&gone)?;
        let (mut pending_events, mut pending_files) = (0usize, 0usize);
        let (mut bytes_done, mut files_done) = (0u64, 0usize);
        // Files finished ahead of their turn wait here until the files before them are applied.
        let mut early: FxHashMap<usize, Result<Done, String>> = FxHashMap::default();
        for (i, msg) in rx {
            early.insert(i, msg);
            while let Some(msg) = early.remove(&files_done) {
                files_done += 1;
                window.applied(files_done);
                match msg {
                    Err(warning) => report.warnings.push(warning),
                    Ok(mut done) => {
                        // Hostile or broken records: skipped and counted with the file's skipped lines.
                        let before = done.events.len() + done.totals.len();
                        let mut why: Option<&'static str> = None;
                        done.events.retain(|e| {
                            let bad = implausible(e, opts.now_ms, false);
                            why = why.or(bad);
                            bad.is_none()
                        });
                        done.totals.retain(|o| {
                            let bad = implausible(&o.event, opts.now_ms, true);
                            why = why.or(bad);
                            bad.is_none()
                        });
                        let dropped = (before - done.events.len() - done.totals.len()) as u64;
                        if let Some(why) = why {
                            done.update.skipped += dropped;
                            report.warnings.push(format!(
                                "{}: skipped {dropped} record{} with {why}",
                                done.update.path,
                                if dropped == 1 { "" } else { "s" }
                            ));
                        }
                        let s = &mut report.sources[done.source];
                        s.files_read += 1;
                        s.bytes_read += done.bytes;
                        s.skipped_lines += done.update.skipped;
                        bytes_done += done.bytes;
                        if done.waiting {
                            s.waiting += 1;
                            report.warnings.push(format!(
                                "{}: not complete JSON (being written?); read again when it next changes",
                                done.update.path
                            ));
                        }
                        s.events += batch.apply(&done.update, &done.events, &done.totals)?;
                        report.warnings.extend(batch.take_resets());
                        pending_events += done.events.len() + done.totals.len();
                        pending_files += 1;
                        if pending_events >= COMMIT_EVENTS || pending_files >= COMMIT_FILES {
                            batch.commit()?;
                            batch = store.batch()?;
                            pending_events = 0;
                            pending_files = 0;
                        }
                    }
                }
                if let Some(p) = opts.progress {
                    p(Progress { bytes_done, bytes_total, files_done, files_total });
                }
            }
        }
        if bulk {
            batch.set_time_index(true)?;
        }
        batch.commit()
    });
    result?;
    store.keep_listings(&fresh, &listings_gone)?;
    report.duration = started.elapsed();
    Ok(report)
}

/// How many files the writer has applied, for workers that must not run too far ahead of it.
#[derive(Default)]
struct Window {
    state: std::sync::Mutex<(usize, bool)>,
    changed: std::sync::Condvar,
}

impl Window {
    /// Waits until `n` files are applied; false when the writer has left.
    fn wait_for(&self, n: usize) -> bool {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while g.0 < n && !g.1 {
            g = self.changed.wait(g).unwrap_or_else(|p| p.into_inner());
        }
        !g.1
    }

    fn applied(&self, n: usize) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0 = n;
        self.changed.notify_all();
    }

    fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
        self.changed.notify_all();
    }
}

/// Closes the window when dropped: on the writer's return and on its errors.
struct WindowClosed<'a>(&'a Window);

impl Drop for WindowClosed<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A source's logs as found, the warnings of finding them, and each log's metadata.
type Found<'a> = (Discovery, Vec<String>, Vec<std::io::Result<std::fs::Metadata>>, WalkLog<'a>);

/// What one source's roots hold now.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Roots that exist.
    pub roots: Vec<PathBuf>,
    /// Roots looked at that do not exist.
    pub missing_roots: Vec<PathBuf>,
    /// The source's logs, with their shapes.
    pub logs: Vec<(PathBuf, Shape)>,
    /// Each log's metadata as the walk read it (beside `logs`), `None` where it did not.
    pub log_meta: Vec<Option<std::fs::Metadata>>,
    /// Files under a root the source did not recognise (possible format drift).
    pub unknown_files: usize,
    /// The oldest modification time among them (ms since the epoch).
    pub unknown_since_ms: Option<i64>,
}

/// Walks a source's roots and sorts what is there into logs, the tool's other files (left
/// alone) and files the source does not recognise.
pub fn discover(source: &dyn Source, env: &Env, warnings: &mut Vec<String>) -> Discovery {
    discover_with(source, env, warnings, None, &mut WalkLog::default())
}

/// [`discover`], with the kept listings of unchanged folders standing in for reading them.
fn discover_with<'a>(
    source: &dyn Source,
    env: &Env,
    warnings: &mut Vec<String>,
    listings: Option<&'a Listings>,
    log: &mut WalkLog<'a>,
) -> Discovery {
    let mut d = Discovery::default();
    for root in source.roots(env) {
        if !root.is_dir() {
            d.missing_roots.push(root);
            continue;
        }
        for (path, meta) in walk::files(&root, listings, log, warnings) {
            match file_kind(source, &path) {
                FileKind::Log(shape) => {
                    d.logs.push((path, shape));
                    d.log_meta.push(meta);
                }
                FileKind::Other => {}
                FileKind::Unknown => {
                    d.unknown_files += 1;
                    if let Ok(m) = std::fs::metadata(&path) {
                        let t = mtime_ns(&m).div_euclid(1_000_000);
                        d.unknown_since_ms = Some(d.unknown_since_ms.map_or(t, |u| u.min(t)));
                    }
                }
            }
        }
        d.roots.push(root);
    }
    d
}

/// The files of `paths` that are `source`'s logs: below one of its roots and of a log kind.
fn named_logs(source: &dyn Source, env: &Env, paths: &[PathBuf]) -> Discovery {
    let mut d = Discovery::default();
    let roots = source.roots(env);
    for path in paths {
        if !roots.iter().any(|r| path.starts_with(r)) {
            continue;
        }
        if let FileKind::Log(shape) = file_kind(source, path) {
            d.logs.push((path.clone(), shape));
            d.log_meta.push(None);
        }
    }
    d
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("{}:{}", meta.dev(), meta.ino())
}

/// Whether `stored` is [`identity`] of `meta`, without making the string.
#[cfg(unix)]
fn same_identity(meta: &std::fs::Metadata, stored: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let mut parts = stored.splitn(2, ':').map(|p| p.parse::<u64>().ok());
    parts.next().flatten() == Some(meta.dev()) && parts.next().flatten() == Some(meta.ino())
}

#[cfg(not(unix))]
fn same_identity(meta: &std::fs::Metadata, stored: &str) -> bool {
    identity(meta) == stored
}

#[cfg(not(unix))]
fn identity(meta: &std::fs::Metadata) -> String {
    meta.created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().to_string())
        .unwrap_or_default()
}

fn hash_range(file: &mut File, version: i64, start: u64, end: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut buf)?;
    Ok(hash::fingerprint(version, &buf))
}

/// The hashes of the 4 KiB at the start of the file and the 4 KiB before `offset`, made with
/// fingerprint function `version`.
fn fingerprint(file: &mut File, version: i64, offset: u64) -> std::io::Result<(u64, u64)> {
    let head = hash_range(file, version, 0, offset.min(FINGERPRINT_BYTES))?;
    let tail = hash_range(file, version, offset.saturating_sub(FINGERPRINT_BYTES), offset)?;
    Ok((head, tail))
}

/// What a file is: the source decides, but a database's companions and hidden files (editor
/// swap files, `.DS_Store`) are never logs and never drift.
fn file_kind(source: &dyn Source, path: &Path) -> FileKind {
    if database::is_companion(path)
        || path.file_name().is_some_and(|n| n.as_encoded_bytes().starts_with(b"."))
    {
        return FileKind::Other;
    }
    source.kind(path)
}

/// A database changes through its `-wal` while the main file stays as it was: both count, and
/// so does the number of frames the wal-index says are committed (the `-wal` grows before a
/// commit is published: see [`database::wal_frames`]).
fn size_and_mtime(path: &Path, meta: &std::fs::Metadata, shape: Shape) -> (u64, i64) {
    let (mut size, mut mtime) = (meta.len(), mtime_ns(meta));
    if shape == Shape::Database {
        let [wal, ..] = database::companions(path);
        if let Ok(w) = std::fs::metadata(wal) {
            size += w.len();
            mtime = mtime.max(mtime_ns(&w));
            size += u64::from(database::wal_frames(path).unwrap_or(0));
        }
    }
    (size, mtime)
}

fn read_file(source: &dyn Source, job: &Job, buf: &mut Vec<u8>) -> Result<Done, String> {
    match job.shape {
        Shape::Lines => read_lines(source, job, buf),
        Shape::Document => read_document(source, job),
        Shape::Database => read_database(source, job),
    }
}

/// The cursor of a document or a database: it is read whole (or by its own state), so only its
/// size and time say whether it changed.
fn whole_file_update(source: &dyn Source, job: &Job, state: Option<String>, skipped: u64) -> FileUpdate {
    FileUpdate {
        source: source.id(),
        path: job.key.clone(),
        identity: job.identity.clone(),
        size: job.size,
        mtime_ns: job.mtime_ns,
        offset: 0,
        head_hash: 0,
        tail_hash: 0,
        fingerprint: hash::FINGERPRINT,
        state,
        skipped,
        from_start: true,
    }
}

fn done(job: &Job, update: FileUpdate, out: Output, bytes: u64, waiting: bool) -> Done {
    Done {
        source: job.source,
        update,
        events: dedupe_within_file(out.events),
        totals: out.totals,
        bytes,
        waiting,
    }
}

fn read_document(source: &dyn Source, job: &Job) -> Result<Done, String> {
    let err = |e: std::io::Error| format!("cannot read {}: {e}", job.path.display());
    let mut file = File::open(&job.path).map_err(err)?;
    let len = file.metadata().map_err(err)?.len();
    if len > MAX_DOCUMENT {
        return Err(format!(
            "skipped {}: {} MB is larger than any log document ({} MB at most)",
            job.path.display(),
            len >> 20,
            MAX_DOCUMENT >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.read_to_end(&mut bytes).map_err(err)?;
    let mut out = Output::default();
    let outcome = source.document(&job.path, &bytes, &mut out);
    let waiting = outcome == DocOutcome::Incomplete;
    if waiting {
        // Nothing is taken from a half-written document; its cursor notes the size and time
        // seen, so it is read again when it next changes, and it counts as one unreadable
        // record until then.
        out = Output { unreadable: 1, ..Output::default() };
    }
    let update = whole_file_update(source, job, None, out.unreadable);
    let n = bytes.len() as u64;
    Ok(done(job, update, out, n, waiting))
}

fn read_database(source: &dyn Source, job: &Job) -> Result<Done, String> {
    let db = database::open(&job.path)?;
    let state = if job.from_start { None } else { job.cursor.as_ref().and_then(|c| c.state.as_deref()) };
    let mut out = Output::default();
    // One read transaction: whatever a source queries (a watermark, then the rows) comes from
    // one snapshot of the database, however the tool commits between the statements.
    let read = db.conn.execute_batch("BEGIN").and_then(|()| {
        let state = source.database(&job.path, &db.conn, state, &mut out);
        let _ = db.conn.execute_batch("COMMIT");
        state
    });
    let state = read.map_err(|e| database::describe(&job.path, &e))?;
    let update = whole_file_update(source, job, state, out.unreadable);
    Ok(done(job, update, out, job.size, false))
}

fn read_lines(source: &dyn Source, job: &Job, buf: &mut Vec<u8>) -> Result<Done, String> {
    let err = |e: std::io::Error| format!("cannot read {}: {e}", job.path.display());
    let mut file = File::open(&job.path).map_err(err)?;
    let mut from_start = job.from_start;
    let mut start = 0;
    if let (false, Some(c)) = (from_start, &job.cursor) {
        let (head, tail) = fingerprint(&mut file, c.fingerprint, c.offset).map_err(err)?;
        if head == c.head_hash && tail == c.tail_hash {
            start = c.offset;
        } else {
            from_start = true;
        }
    }
    let state = if from_start { None } else { job.cursor.as_ref().and_then(|c| c.state.as_deref()) };
    let mut parser = source.lines(&job.path, state);
    file.seek(SeekFrom::Start(start)).map_err(err)?;

    let mut out = Output::default();
    let mut skipped = 0u64;
    // The file offset just past the last complete line.
    let mut consumed = start;
    // `buf[begin..filled]` holds bytes read but not yet consumed (a partial line). Reads go to
    // the free space after it; when less than a chunk is free the partial line moves to the
    // front, and the buffer grows only for a line longer than itself.
    let (mut begin, mut filled) = (0usize, 0usize);
    loop {
        if buf.len() - filled < CHUNK {
            buf.copy_within(begin..filled, 0);
            filled -= begin;
            begin = 0;
            if buf.len() - filled < CHUNK {
                buf.resize(filled + CHUNK, 0);
            }
        }
        let n = file.read(&mut buf[filled..filled + CHUNK]).map_err(err)?;
        if n == 0 {
            break;
        }
        let scan_from = filled;
        filled += n;
        let Some(last_nl) = memchr::memrchr(b'\n', &buf[scan_from..filled]).map(|i| scan_from + i) else {
            continue;
        };
        let mut pos = begin;
        for nl in memchr::memchr_iter(b'\n', &buf[begin..=last_nl]) {
            let nl = begin + nl;
            let line = &buf[pos..nl];
            if !line.is_empty() && parser.line(line, &mut out) == LineOutcome::Malformed {
                skipped += 1;
            }
            pos = nl + 1;
        }
        consumed += (pos - begin) as u64;
        begin = pos;
    }
    // `buf[begin..filled]` now holds a half-written last line: it waits for its newline.
    let (head_hash, tail_hash) = fingerprint(&mut file, hash::FINGERPRINT, consumed).map_err(err)?;
    let update = FileUpdate {
        source: source.id(),
        path: job.key.clone(),
        identity: job.identity.clone(),
        size: job.size.max(consumed),
        mtime_ns: job.mtime_ns,
        offset: consumed,
        head_hash,
        tail_hash,
        fingerprint: hash::FINGERPRINT,
        state: parser.state(),
        skipped: skipped + out.unreadable,
        from_start,
    };
    Ok(done(job, update, out, consumed - start, false))
}

/// Collapses events of one file that share a key (Claude writes one response as several lines),
/// keeping the one the store would keep, so the writer sees each request once per file.
fn dedupe_within_file(events: Vec<UsageEvent>) -> Vec<UsageEvent> {
    let mut index: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(events.len(), Default::default());
    let mut keep = vec![true; events.len()];
    for (i, e) in events.iter().enumerate() {
        match index.get(e.dedupe_key.as_str()) {
            None => {
                index.insert(&e.dedupe_key, i);
            }
            Some(&j) => {
                let (a, b) = (&events[j].tokens, &e.tokens);
                let better = b.output > a.output || (b.output == a.output && b.total() > a.total());
                if better {
                    keep[j] = false;
                    index.insert(&e.dedupe_key, i);
                } else {
                    keep[i] = false;
                }
            }
        }
    }
    drop(index);
    events.into_iter().zip(keep).filter_map(|(e, k)| k.then_some(e)).collect()
}

/// Signs that a source's format may have changed: records that looked like usage but could not
/// be read (stored per file), files under its roots it did not recognise (found now), and since
/// when (the earliest of the first unreadable record's file time and the oldest unknown file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drift {
    pub unreadable_records: u64,
    pub unknown_files: usize,
    pub since_ms: Option<i64>,
}

/// Drift per source id, for the sources given (only those with something to report).
pub fn drift(
    store: &Store,
    env: &Env,
    sources: &[Box<dyn Source>],
) -> Result<HashMap<String, Drift>, StoreError> {
    let mut out = stored_drift(store)?;
    let mut ignored = Vec::new();
    for s in sources {
        let found = discover(s.as_ref(), env, &mut ignored);
        if found.unknown_files == 0 {
            continue;
        }
        let d = out.entry(s.id().to_string()).or_default();
        d.unknown_files = found.unknown_files;
        d.since_ms = match (d.since_ms, found.unknown_since_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(out)
}

/// The part of [`drift`] the ledger keeps (unreadable records), without walking any log folder:
/// cheap enough for the tray after every change.
pub fn stored_drift(store: &Store) -> Result<HashMap<String, Drift>, StoreError> {
    let mut out: HashMap<String, Drift> = HashMap::new();
    let run = || -> rusqlite::Result<Vec<(String, i64, Option<i64>)>> {
        let mut stmt = store.conn().prepare(
            "SELECT source, sum(skipped), min(skipped_since) FROM files WHERE skipped > 0 GROUP BY source",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    };
    for (id, n, since) in run().map_err(|e| store.err(e))? {
        out.insert(id, Drift { unreadable_records: n.max(0) as u64, unknown_files: 0, since_ms: since });
    }
    Ok(out)
}

/// Per-source totals kept in the database (files, events, skipped lines), for `sources`.
pub fn stored_source_stats(store: &Store) -> Result<HashMap<String, (u64, u64, u64)>, StoreError> {
    let run = || -> rusqlite::Result<HashMap<String, (u64, u64, u64)>> {
        let mut out: HashMap<String, (u64, u64, u64)> = HashMap::new();
        let mut stmt =
            store.conn().prepare("SELECT source, count(*), sum(skipped) FROM files GROUP BY source")?;
        for row in
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?
        {
            let (s, f, sk) = row?;
            let e = out.entry(s).or_default();
            e.0 = f as u64;
            e.2 = sk as u64;
        }
        let mut stmt = store.conn().prepare("SELECT source, sum(requests) FROM rollup GROUP BY source")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (s, n) = row?;
            out.entry(s).or_default().1 = n as u64;
        }
        Ok(out)
    };
    run().map_err(|e| store.err(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_identity_is_compared_without_making_one() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        std::fs::write(&a, "x").unwrap();
        std::fs::write(&b, "y").unwrap();
        let (ma, mb) = (std::fs::metadata(&a).unwrap(), std::fs::metadata(&b).unwrap());
        assert!(same_identity(&ma, &identity(&ma)));
        assert!(!same_identity(&ma, &identity(&mb)));
        for stored in ["", ":", "1", "x:y", &format!("{}:", identity(&ma)), &format!("{}:1", identity(&ma))] {
            assert!(!same_identity(&ma, stored), "{stored:?}");
        }
    }
}
