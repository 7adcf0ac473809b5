//! Snapshots of the ledger, their retention, and restoring one.
//!
//! After 30 days Claude Code deletes its transcripts, and tags and notes never existed anywhere
//! else: the ledger is then the only copy. A snapshot is a consistent copy made with SQLite's
//! online backup API on a read-only connection of its own, in one step, that is one read
//! transaction: in WAL mode the writer never waits for it. Each is written under a temporary
//! name, checked with `PRAGMA integrity_check`, synced and renamed, so a snapshot that exists is
//! whole and sound. The backup copies pages as they are, so a snapshot that fails the check means
//! the ledger itself is damaged ([`BackupError::Damaged`]).
//!
//! Names are `ledger-YYYYMMDDTHHMMSS.mmmZ.db` (UTC): the time a snapshot was taken is in its name,
//! never read from the clock here (`now_ms` is a parameter). Retention ([`prune`]): the newest
//! snapshot of each of the last `keep_daily` UTC days, the newest of each of the last
//! `keep_weekly` ISO weeks, and always the newest one.
//!
//! "Daily" is a deadline, never a timer that polls: [`due`] says whether the newest snapshot is a
//! day old, and the shells take one on their next write after that.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use crate::store::{wal_damage, wal_path, SCHEMA_VERSION};

/// A day, in ms.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const NAME_FORMAT: &str = "%Y%m%dT%H%M%S%.3fZ";
/// How long a snapshot waits for a lock before giving up.
const BUSY: Duration = Duration::from_secs(5);

/// Where snapshots go and how many are kept (`[backup]` in config.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSettings {
    pub dir: PathBuf,
    pub keep_daily: u32,
    pub keep_weekly: u32,
}

/// One snapshot on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub path: PathBuf,
    /// When it was taken (ms since the epoch, from its name).
    pub taken_ms: i64,
}

#[derive(Debug)]
pub enum BackupError {
    /// The ledger's pages failed the check of the copy: the ledger is damaged.
    Damaged {
        path: PathBuf,
        findings: Vec<String>,
    },
    /// There is nothing to snapshot or restore.
    Missing {
        path: PathBuf,
        what: &'static str,
    },
    /// A snapshot given to restore is not a sound Tokenworth ledger.
    BadSnapshot {
        path: PathBuf,
        reason: String,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Sqlite {
        path: PathBuf,
        error: rusqlite::Error,
    },
}

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupError::Damaged { path, findings } => write!(
                f,
                "database {} is damaged ({}); no snapshot was kept: `tokenworth doctor` says what is wrong, `tokenworth restore` puts the last good snapshot back",
                path.display(),
                findings.first().map_or("integrity check failed", String::as_str)
            ),
            BackupError::Missing { path, what } => write!(f, "{what}: {} does not exist", path.display()),
            BackupError::BadSnapshot { path, reason } => {
                write!(f, "{} cannot be restored: {reason}", path.display())
            }
            BackupError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            BackupError::Sqlite { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for BackupError {}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |error| BackupError::Io { path: path.to_path_buf(), error }
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |error| BackupError::Sqlite { path: path.to_path_buf(), error }
}

/// The file name of a snapshot taken at `ms`.
pub fn snapshot_name(ms: i64) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    format!("ledger-{}.db", t.format(NAME_FORMAT))
}

fn parse_name(name: &str) -> Option<i64> {
    let stamp = name.strip_prefix("ledger-")?.strip_suffix(".db")?;
    let t = NaiveDateTime::parse_from_str(stamp, NAME_FORMAT).ok()?;
    Some(t.and_utc().timestamp_millis())
}

/// The snapshots in `dir`, newest first (none when it does not exist).
pub fn list(dir: &Path) -> Result<Vec<Snapshot>, BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(io(dir))?;
        let name = e.file_name();
        if let Some(taken_ms) = name.to_str().and_then(parse_name) {
            out.push(Snapshot { path: e.path(), taken_ms });
        }
    }
    out.sort_by(|a, b| b.taken_ms.cmp(&a.taken_ms).then_with(|| b.path.cmp(&a.path)));
    Ok(out)
}

/// Whether a daily snapshot is due: none yet, or the newest is a day old (or from the future,
/// when the clock was moved back).
pub fn due(dir: &Path, now_ms: i64) -> Result<bool, BackupError> {
    Ok(match list(dir)?.first() {
        None => true,
        Some(s) => now_ms - s.taken_ms >= DAY_MS || s.taken_ms > now_ms + DAY_MS,
    })
}

/// The `PRAGMA integrity_check` findings of a database file (empty: sound).
pub fn integrity(conn: &Connection, path: &Path) -> Result<Vec<String>, BackupError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(sql(path))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql(path))?;
    let mut out = Vec::new();
    for r in rows {
        match r {
            Ok(s) if s == "ok" => {}
            Ok(s) => out.push(s),
            Err(e) => out.push(e.to_string()),
        }
    }
    Ok(out)
}

/// Holds `dir/.lock` exclusively while alive: one process at a time takes a snapshot into a
/// folder (a report and a scan started together both find one due).
struct DirLock(#[allow(dead_code)] std::fs::File);

fn lock_dir(dir: &Path) -> Result<DirLock, BackupError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(".lock");
    let f =
        std::fs::File::options().create(true).truncate(false).write(true).open(&path).map_err(io(&path))?;
    f.lock().map_err(io(&path))?;
    Ok(DirLock(f))
}

/// Takes a snapshot of the ledger `db` into `dir` and checks it. Returns its path.
pub fn take(db: &Path, dir: &Path, now_ms: i64) -> Result<PathBuf, BackupError> {
    if !db.exists() {
        return Err(BackupError::Missing { path: db.to_path_buf(), what: "no ledger to snapshot" });
    }
    let _lock = lock_dir(dir)?;
    take_locked(db, dir, now_ms)
}

/// Takes a snapshot when one is [`due`], checked under the folder's lock: of several processes
/// that find one due at once, one takes it and the others find it taken. `None`: not due.
pub fn take_if_due(db: &Path, dir: &Path, now_ms: i64) -> Result<Option<PathBuf>, BackupError> {
    if !db.exists() {
        return Err(BackupError::Missing { path: db.to_path_buf(), what: "no ledger to snapshot" });
    }
    if !due(dir, now_ms)? {
        return Ok(None);
    }
    let _lock = lock_dir(dir)?;
    if !due(dir, now_ms)? {
        return Ok(None);
    }
    take_locked(db, dir, now_ms).map(Some)
}

fn take_locked(db: &Path, dir: &Path, now_ms: i64) -> Result<PathBuf, BackupError> {
    if let Some(detail) = wal_damage(db) {
        return Err(BackupError::Damaged { path: db.to_path_buf(), findings: vec![detail] });
    }
    let mut name = snapshot_name(now_ms);
    // Two snapshots in one millisecond (tests, a script): the later one waits its turn.
    let mut ms = now_ms;
    while dir.join(&name).exists() {
        ms += 1;
        name = snapshot_name(ms);
    }
    let dest = dir.join(&name);
    // The process's own temporary name: never a file another process is writing.
    let partial = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let result = copy_checked(db, &partial).map_err(|e| match e {
        // The copy has the ledger's pages: a copy that SQLite finds malformed is a damaged ledger.
        BackupError::Sqlite { error, .. }
            if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) =>
        {
            BackupError::Damaged { path: db.to_path_buf(), findings: vec![error.to_string()] }
        }
        e => e,
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        if let BackupError::Damaged { findings, .. } = &e {
            tracing::error!(ledger = %db.display(), finding = findings.first().map_or("", String::as_str), "the snapshot's check found the ledger damaged");
        } else {
            tracing::warn!(ledger = %db.display(), error = %e, "no snapshot");
        }
        return Err(e);
    }
    std::fs::rename(&partial, &dest).map_err(io(&dest))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    tracing::info!(snapshot = %dest.display(), "snapshot taken and checked");
    Ok(dest)
}

/// Copies `src` into a new file `dest` with the backup API, then checks the copy.
fn copy_checked(src_path: &Path, dest: &Path) -> Result<(), BackupError> {
    let _ = std::fs::remove_file(dest);
    let src = Connection::open_with_flags(
        src_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql(src_path))?;
    src.busy_timeout(BUSY).map_err(sql(src_path))?;
    {
        let mut out = Connection::open(dest).map_err(sql(dest))?;
        let b = rusqlite::backup::Backup::new(&src, &mut out).map_err(sql(dest))?;
        let deadline = Instant::now() + BUSY;
        loop {
            // Every page in one step: one read transaction, a consistent copy, and the
            // writer (WAL) never waits for it.
            match b.step(-1) {
                Ok(rusqlite::backup::StepResult::Done) => break,
                Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(_) => {
                    return Err(BackupError::Sqlite {
                        path: src_path.to_path_buf(),
                        error: rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            Some("the ledger stayed locked".into()),
                        ),
                    })
                }
                Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
                    return Err(BackupError::Damaged {
                        path: src_path.to_path_buf(),
                        findings: vec![e.to_string()],
                    })
                }
                Err(e) => return Err(sql(src_path)(e)),
            }
        }
    }
    // The copy is a database of its own: a rollback journal, no WAL beside it.
    let check = Connection::open(dest).map_err(sql(dest))?;
    let _: String = check.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0)).map_err(sql(dest))?;
    let findings = integrity(&check, dest)?;
    drop(check);
    if !findings.is_empty() {
        return Err(BackupError::Damaged { path: src_path.to_path_buf(), findings });
    }
    std::fs::File::open(dest).and_then(|f| f.sync_all()).map_err(io(dest))?;
    Ok(())
}

/// Deletes the snapshots retention does not keep; returns them.
pub fn prune(dir: &Path, keep_daily: u32, keep_weekly: u32) -> Result<Vec<PathBuf>, BackupError> {
    let all = list(dir)?;
    let Some(newest) = all.first() else { return Ok(Vec::new()) };
    let day = |ms: i64| ms.div_euclid(DAY_MS);
    let week = |ms: i64| {
        let d = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().iso_week();
        (d.year(), d.week())
    };
    let newest_day = day(newest.taken_ms);
    let newest_week = DateTime::<Utc>::from_timestamp_millis(newest.taken_ms).unwrap_or_default();
    let mut kept_days = Vec::new();
    let mut kept_weeks = Vec::new();
    let mut removed = Vec::new();
    for (i, s) in all.iter().enumerate() {
        let d = day(s.taken_ms);
        let w = week(s.taken_ms);
        let weeks_back = (newest_week.timestamp_millis() - s.taken_ms).div_euclid(7 * DAY_MS);
        let mut keep = i == 0;
        if newest_day - d < keep_daily as i64 && !kept_days.contains(&d) {
            kept_days.push(d);
            keep = true;
        }
        if weeks_back < keep_weekly as i64 && !kept_weeks.contains(&w) {
            kept_weeks.push(w);
            keep = true;
        }
        if !keep {
            std::fs::remove_file(&s.path).map_err(io(&s.path))?;
            removed.push(s.path.clone());
        }
    }
    if !removed.is_empty() {
        tracing::debug!(dir = %dir.display(), removed = removed.len(), "old snapshots removed");
    }
    Ok(removed)
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub snapshot: PathBuf,
    /// Where the ledger that was there was moved (with its `-wal` and `-shm`), if there was one.
    pub kept_aside: Option<PathBuf>,
}

/// Checks that `snapshot` is a sound Tokenworth ledger this build can open.
pub fn check_snapshot(snapshot: &Path) -> Result<(), BackupError> {
    let bad = |reason: String| BackupError::BadSnapshot { path: snapshot.to_path_buf(), reason };
    if !snapshot.is_file() {
        return Err(bad("no such file".into()));
    }
    let conn = Connection::open_with_flags(snapshot, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let version: i64 =
        conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| bad(e.to_string()))?;
    if version == 0 || version > SCHEMA_VERSION {
        return Err(bad(format!(
            "schema {version} is not a Tokenworth ledger this build reads (1 to {SCHEMA_VERSION})"
        )));
    }
    let findings = integrity(&conn, snapshot).map_err(|e| bad(e.to_string()))?;
    if let Some(f) = findings.first() {
        return Err(bad(format!("it is damaged: {f}")));
    }
    Ok(())
}

/// What is known to be wrong with the ledger `db` without reading its pages: the first line of
/// its damage marker (found earlier by a write, a snapshot's check or the doctor) or a
/// write-ahead log cut inside a frame. `None`: nothing known (not proof that it is sound).
pub fn known_damage(db: &Path) -> Option<String> {
    if let Ok(detail) = std::fs::read_to_string(crate::store::damage_marker(db)) {
        return Some(
            detail.lines().next().filter(|l| !l.is_empty()).unwrap_or("found damaged earlier").to_owned(),
        );
    }
    wal_damage(db)
}

/// The newest snapshot in `dir` that passes [`check_snapshot`], with the newer ones that did not
/// (and why). `None`: no sound snapshot.
pub fn newest_sound(dir: &Path) -> Result<(Option<PathBuf>, Vec<BackupError>), BackupError> {
    let mut skipped = Vec::new();
    for s in list(dir)? {
        match check_snapshot(&s.path) {
            Ok(()) => return Ok((Some(s.path), skipped)),
            Err(e) => {
                tracing::warn!(snapshot = %s.path.display(), error = %e, "snapshot skipped");
                skipped.push(e);
            }
        }
    }
    Ok((None, skipped))
}

/// Puts `snapshot` back as the ledger `db`. The ledger that was there (damaged or not) is moved
/// aside, with its `-wal` and `-shm`, as `ledger-replaced-<time>.db`, never deleted. The restored
/// ledger has the snapshot's cursors, so the next scan reads again what the logs hold since.
pub fn restore(db: &Path, snapshot: &Path, now_ms: i64) -> Result<Restored, BackupError> {
    check_snapshot(snapshot)?;
    let dir = db.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let incoming = dir.join(".ledger-restoring.db");
    let _ = std::fs::remove_file(&incoming);
    std::fs::copy(snapshot, &incoming).map_err(io(&incoming))?;
    std::fs::File::open(&incoming).and_then(|f| f.sync_all()).map_err(io(&incoming))?;
    let mut kept_aside = None;
    if db.exists() {
        let t = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
        let mut aside = dir.join(format!("ledger-replaced-{}.db", t.format(NAME_FORMAT)));
        let mut n = 1;
        while aside.exists() {
            aside = dir.join(format!("ledger-replaced-{}-{n}.db", t.format(NAME_FORMAT)));
            n += 1;
        }
        for (from, to) in [
            (wal_path(db), wal_path(&aside)),
            (side(db, "-shm"), side(&aside, "-shm")),
            (db.to_path_buf(), aside.clone()),
        ] {
            match std::fs::rename(&from, &to) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&from)(e)),
            }
        }
        kept_aside = Some(aside);
    } else {
        // A stale -wal or -shm of a deleted ledger must not be applied to the snapshot.
        for p in [wal_path(db), side(db, "-shm")] {
            if p.exists() {
                let aside = side(&p, &format!(".orphan-{now_ms}"));
                std::fs::rename(&p, &aside).map_err(io(&p))?;
            }
        }
    }
    std::fs::rename(&incoming, db).map_err(io(db))?;
    match std::fs::remove_file(crate::store::damage_marker(db)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&crate::store::damage_marker(db))(e)),
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    tracing::warn!(
        ledger = %db.display(),
        snapshot = %snapshot.display(),
        kept_aside = %kept_aside.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
        "ledger restored from a snapshot"
    );
    Ok(Restored { snapshot: snapshot.to_path_buf(), kept_aside })
}

fn side(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, ms: i64) {
        std::fs::write(dir.join(snapshot_name(ms)), b"").unwrap();
    }

    /// A small WAL ledger with some rows, as the CLI leaves it.
    fn ledger(dir: &Path) -> PathBuf {
        let db = dir.join("ledger.db");
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t(x TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
             INSERT INTO t SELECT hex(randomblob(64)) FROM n;",
        )
        .unwrap();
        db
    }

    /// Four processes' snapshots at the same millisecond (a report and a scan started
    /// together): each gets a whole, sound file of its own. Before the folder lock and the
    /// per-process temporary name they wrote the same `.partial` and one failed with a disk
    /// I/O error (CI, `concurrent_runs_wait_for_each_other_and_count_once`).
    #[test]
    fn snapshots_taken_at_once_are_each_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let db = ledger(tmp.path());
        let dir = tmp.path().join("snapshots");
        let t = 1_772_323_200_000;
        for round in 0..5 {
            let at = t + round * 1000;
            let taken: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..4).map(|_| s.spawn(|| take(&db, &dir, at))).collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let mut paths: Vec<PathBuf> = taken.into_iter().map(|r| r.expect("snapshot")).collect();
            paths.sort();
            paths.dedup();
            assert_eq!(paths.len(), 4, "round {round}: four snapshots, four files");
            for p in &paths {
                let c = Connection::open(p).unwrap();
                assert!(integrity(&c, p).unwrap().is_empty());
                let n: i64 = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
                assert_eq!(n, 4000);
            }
        }
    }

    /// Of several runs that find the daily snapshot due at once, one takes it.
    #[test]
    fn a_due_snapshot_is_taken_once() {
        let tmp = tempfile::tempdir().unwrap();
        let db = ledger(tmp.path());
        let dir = tmp.path().join("snapshots");
        let t = 1_772_323_200_000;
        let taken: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| take_if_due(&db, &dir, t))).collect();
            handles.into_iter().map(|h| h.join().unwrap().expect("no error")).collect()
        });
        assert_eq!(taken.iter().filter(|p| p.is_some()).count(), 1, "{taken:?}");
        assert_eq!(list(&dir).unwrap().len(), 1);
        assert_eq!(take_if_due(&db, &dir, t + DAY_MS - 1).unwrap(), None, "not due within the day");
        assert!(take_if_due(&db, &dir, t + DAY_MS).unwrap().is_some(), "due a day later");
    }

    #[test]
    fn names_round_trip_and_sort_newest_first() {
        let t = 1_772_323_200_123;
        assert_eq!(parse_name(&snapshot_name(t)), Some(t));
        let tmp = tempfile::tempdir().unwrap();
        touch(tmp.path(), t);
        touch(tmp.path(), t + DAY_MS);
        std::fs::write(tmp.path().join("ledger-x.db"), b"").unwrap();
        let l = list(tmp.path()).unwrap();
        assert_eq!(l.iter().map(|s| s.taken_ms).collect::<Vec<_>>(), vec![t + DAY_MS, t]);
        assert!(!due(tmp.path(), t + DAY_MS + 1000).unwrap());
        assert!(due(tmp.path(), t + 2 * DAY_MS).unwrap());
        assert!(due(&tmp.path().join("none"), t).unwrap());
    }

    #[test]
    fn retention_keeps_seven_days_and_four_weeks() {
        let tmp = tempfile::tempdir().unwrap();
        // 2026-03-01 (a Sunday) 00:00 UTC, then two snapshots a day for 60 days.
        let t0 = 1_772_323_200_000;
        for d in 0..60 {
            touch(tmp.path(), t0 + d * DAY_MS + 3_600_000);
            touch(tmp.path(), t0 + d * DAY_MS + 7_200_000);
        }
        prune(tmp.path(), 7, 4).unwrap();
        let left = list(tmp.path()).unwrap();
        let newest = t0 + 59 * DAY_MS + 7_200_000;
        assert_eq!(left[0].taken_ms, newest);
        // The last 7 days: one each (the later of the two).
        for d in 53..60 {
            assert!(left.iter().any(|s| s.taken_ms == t0 + d * DAY_MS + 7_200_000), "day {d}");
            assert!(!left.iter().any(|s| s.taken_ms == t0 + d * DAY_MS + 3_600_000), "day {d}");
        }
        // Nothing older than 4 weeks, and one per week within them.
        assert!(left.iter().all(|s| newest - s.taken_ms < 28 * DAY_MS));
        assert!(left.len() <= 7 + 4, "{left:?}");
        // Pruning again changes nothing.
        assert!(prune(tmp.path(), 7, 4).unwrap().is_empty());
    }
}
