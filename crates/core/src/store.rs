//! The SQLite ledger: events, per-file cursors and a rollup the reports read.
//!
//! Invariants:
//! - One writer (the process running an ingest) owns writes; readers open their own connections.
//!   WAL mode lets them read while it writes.
//! - An event and the cursor of the file it came from commit in the same transaction, so a
//!   crash at any instant loses and doubles nothing: the next scan resumes at the committed
//!   offset, and events are keyed so reading a line twice stores it once.
//! - Rows are never deleted because a log shrank, was rewritten or was deleted. The only deletes
//!   are Claude sidechain replays superseded by the message they replay.
//! - `rollup` always equals the sums over `events`: only a `Batch` writes either, and it adds
//!   every inserted row, subtracts every replaced or deleted one (sums accumulated in memory and
//!   flushed in the same transaction, before commit). Reports never scan `events` for day totals.
//! - `sessions` (span, cwd, branch, parent per source × session) is kept by the batch from the
//!   events it inserts, flushed before commit like the rollup. `tags`, `session_commits` and
//!   `commit_checks` belong to `outcomes`; a scan never writes them.
//! - Migrations are numbered and embedded; a database with a newer schema is refused untouched.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{Observation, Tokens, UsageEvent};
use crate::zone::{offset_ms, offset_stretches, DAY_MS};
use chrono_tz::Tz;

/// Width of a rollup bucket: 15 minutes, the finest granularity of any UTC offset in use, so a
/// bucket never straddles a local midnight in any time zone.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

const MIGRATIONS: &[&str] = &[
    // 1: the ledger.
    r#"
CREATE TABLE files(
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    identity TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    head_hash INTEGER NOT NULL,
    tail_hash INTEGER NOT NULL,
    state TEXT,
    skipped INTEGER NOT NULL DEFAULT 0,
    missing INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events(
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    group_key TEXT,
    sidechain INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    session_id TEXT NOT NULL,
    project TEXT NOT NULL,
    model TEXT NOT NULL,
    model_fallback INTEGER NOT NULL DEFAULT 0,
    ts INTEGER NOT NULL,
    input INTEGER NOT NULL,
    cw5m INTEGER NOT NULL,
    cw1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    output INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    logged_cost REAL,
    file_id INTEGER
);
CREATE INDEX events_sidechain ON events(group_key) WHERE sidechain = 1;
CREATE TABLE rollup(
    bucket INTEGER NOT NULL,
    source TEXT NOT NULL,
    project TEXT NOT NULL,
    model TEXT NOT NULL,
    long INTEGER NOT NULL,
    logged INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    input INTEGER NOT NULL,
    cw5m INTEGER NOT NULL,
    cw1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    output INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    logged_cost REAL NOT NULL,
    PRIMARY KEY(bucket, source, project, model, long, logged)
) WITHOUT ROWID;
CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"#,
    // 2: sessions as records, outcome tags, commits found for sessions.
    //
    // `sessions` is kept by the write batch: the span of every event stored for the session
    // (never narrowed), the cwd of its earliest event, the git branch of its latest event that
    // named one, and the parent it was resumed or forked from. Sessions ingested before this
    // migration get their span and cwd here (SQLite takes the bare `project` from the row of
    // `min(ts)`); their branch and parent are unknown, as their logs are not read again.
    //
    // `tags` and `session_commits` are keyed by (source, session_id) and never written by a
    // scan, so they survive rescans, rewritten logs and vanished repositories.
    r#"
CREATE TABLE sessions(
    source TEXT NOT NULL,
    session_id TEXT NOT NULL,
    project TEXT NOT NULL,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    git_branch TEXT,
    branch_ts INTEGER,
    parent_session TEXT,
    PRIMARY KEY(source, session_id)
) WITHOUT ROWID;
INSERT INTO sessions(source, session_id, project, start_ts, end_ts)
SELECT a.source, a.session_id, a.project, a.start_ts, b.end_ts
FROM (SELECT source, session_id, project, min(ts) AS start_ts FROM events GROUP BY source, session_id) AS a
JOIN (SELECT source, session_id, max(ts) AS end_ts FROM events GROUP BY source, session_id) AS b
  ON a.source = b.source AND a.session_id = b.session_id;
CREATE TABLE tags(
    source TEXT NOT NULL,
    session_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('shipped', 'fixed', 'explored', 'abandoned', 'wasted')),
    note TEXT,
    link TEXT,
    tagged_at INTEGER NOT NULL,
    PRIMARY KEY(source, session_id)
) WITHOUT ROWID;
CREATE TABLE session_commits(
    source TEXT NOT NULL,
    session_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    repo TEXT NOT NULL,
    author_ts INTEGER NOT NULL,
    message TEXT NOT NULL,
    files_changed INTEGER NOT NULL,
    lines_added INTEGER NOT NULL,
    lines_removed INTEGER NOT NULL,
    PRIMARY KEY(source, session_id, hash)
) WITHOUT ROWID;
CREATE TABLE commit_checks(
    source TEXT NOT NULL,
    session_id TEXT NOT NULL,
    checked_end INTEGER NOT NULL,
    checked_at INTEGER NOT NULL,
    repo TEXT,
    state TEXT NOT NULL,
    PRIMARY KEY(source, session_id)
) WITHOUT ROWID;
"#,
    // 3: the fingerprint function a cursor's head and tail hashes were made with
    // (`hash::fingerprint`). Cursors stored before keep function 1 until their file is read again.
    r#"
ALTER TABLE files ADD COLUMN fingerprint INTEGER NOT NULL DEFAULT 1;
"#,
    // 4: running totals and format drift.
    //
    // `totals` holds the last observation of every running total a source reports (a Goose
    // session row, a Droid settings file): the ledger stores each observation's delta as an event,
    // so this row is what keeps a rescan, a restore or an import from counting a total twice.
    // `resets` counts the times the counter went down (each starts a new run of deltas).
    //
    // `files.skipped_since` is the modification time of the file when a read first found records
    // in it that could not be read (NULL while it has none): `sources` reports drift from it.
    r#"
CREATE TABLE totals(
    source TEXT NOT NULL,
    counter TEXT NOT NULL,
    input INTEGER NOT NULL,
    cw5m INTEGER NOT NULL,
    cw1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    output INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    logged_cost REAL,
    resets INTEGER NOT NULL DEFAULT 0,
    observed_ts INTEGER NOT NULL,
    PRIMARY KEY(source, counter)
) WITHOUT ROWID;
ALTER TABLE files ADD COLUMN skipped_since INTEGER;
UPDATE files SET skipped_since = mtime_ns / 1000000 WHERE skipped > 0;
"#,
    // 5: no new table: `repair_implausible` (run with it, in Rust) removes what earlier builds
    // stored from records now skipped (token counts out of range, years 0000 and 9999) and
    // mends the rollup rows and sessions they had touched.
    "-- 5: repair_implausible",
    // 6: an index on the request time, so that a report of a period (`session --since`, 5-hour
    // blocks) reads that period's events instead of every event ever stored (issue 12).
    "CREATE INDEX IF NOT EXISTS events_ts ON events(ts);",
    // 7: what the watching app does after every change stays bounded by what changed (issue 12).
    //
    // (The triggers insert with NOT EXISTS, not OR IGNORE: an outer statement's conflict policy
    // overrides a trigger's, so OR IGNORE inside one can still fail.)
    //
    // `link_due` lists the sessions whose commit check may not be final: every session when it
    // is new or its end moves (the triggers, whichever writer it is: a scan, an import, a
    // merge), until `outcomes::link_commits` has checked it after its grace window. The linker
    // reads this list instead of joining every session ever stored with its check.
    //
    // `files_skipped` holds only the files with unreadable records, which the tray reads after
    // every change (`ingest::stored_drift`), instead of every file's cursor.
    r#"
CREATE TABLE IF NOT EXISTS link_due(
    source TEXT NOT NULL,
    session_id TEXT NOT NULL,
    PRIMARY KEY(source, session_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO link_due(source, session_id) SELECT source, session_id FROM sessions;
CREATE TRIGGER IF NOT EXISTS sessions_link_due_new AFTER INSERT ON sessions BEGIN
    INSERT INTO link_due(source, session_id) SELECT new.source, new.session_id
    WHERE NOT EXISTS (SELECT 1 FROM link_due WHERE source = new.source AND session_id = new.session_id);
END;
CREATE TRIGGER IF NOT EXISTS sessions_link_due_moved AFTER UPDATE OF end_ts ON sessions
WHEN new.end_ts <> old.end_ts BEGIN
    INSERT INTO link_due(source, session_id) SELECT new.source, new.session_id
    WHERE NOT EXISTS (SELECT 1 FROM link_due WHERE source = new.source AND session_id = new.session_id);
END;
CREATE INDEX IF NOT EXISTS files_skipped ON files(source) WHERE skipped > 0;
"#,
    // 8: warm day, week and month reports whatever the history (issue 12).
    //
    // `day_rollup` is the rollup summed per local day of one zone, the one named by the
    // setting `day_zone` (the writer's own: config.toml's or the system's), kept by the writer
    // with the rollup (`Batch`): a report of whole days in that zone reads a row per day,
    // source, model and tier instead of every quarter hour's rows. No `day_zone` setting: the
    // table is not kept (empty) and reports sum the rollup, as for any other zone or a
    // project filter.
    //
    // `files_present` lists the files not marked missing, which every scan compares with what
    // it finds, out of a history of files the tools have deleted.
    r#"
CREATE TABLE IF NOT EXISTS day_rollup(
    day INTEGER NOT NULL,
    source TEXT NOT NULL,
    model TEXT NOT NULL,
    long INTEGER NOT NULL,
    logged INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    input INTEGER NOT NULL,
    cw5m INTEGER NOT NULL,
    cw1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    output INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    logged_cost REAL NOT NULL,
    PRIMARY KEY(day, source, model, long, logged)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS files_present ON files(missing) WHERE missing = 0;
"#,
    // 9: the listings of log folders that have not changed (crate::walk): a scan that finds
    // nothing new stats each folder and file instead of reading every folder again. A cache:
    // a row is used only while the folder's stamp (its change time on Unix) is the one stored,
    // and a wrong or missing row only means the folder is read.
    r#"
CREATE TABLE IF NOT EXISTS listings(
    dir TEXT PRIMARY KEY,
    stamp INTEGER NOT NULL,
    entries BLOB NOT NULL
) WITHOUT ROWID;
"#,
];

/// The setting naming the zone `day_rollup` is kept in.
const DAY_ZONE: &str = "day_zone";

/// The largest token count one stored record may hold (a request, or a running total's
/// observation): 10^11. No tool's request comes near it; a count beyond it is a broken or hostile
/// record, skipped and counted by the ingest, so no sum of stored counts can wrap.
pub const MAX_TOKENS: i64 = 100_000_000_000;

/// Merges a session's span, cwd, branch and parent into `sessions`: the span only widens, the
/// project is the earliest event's, the branch the latest one's, the parent the first one named.
pub(crate) const SESSION_UPSERT: &str = "INSERT INTO sessions(source, session_id, project, start_ts, end_ts, git_branch, branch_ts, parent_session)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(source, session_id) DO UPDATE SET
                project = CASE WHEN excluded.start_ts < sessions.start_ts THEN excluded.project ELSE sessions.project END,
                start_ts = min(sessions.start_ts, excluded.start_ts),
                end_ts = max(sessions.end_ts, excluded.end_ts),
                git_branch = CASE WHEN excluded.git_branch IS NOT NULL
                    AND (sessions.branch_ts IS NULL OR excluded.branch_ts >= sessions.branch_ts)
                    THEN excluded.git_branch ELSE sessions.git_branch END,
                branch_ts = CASE WHEN excluded.git_branch IS NOT NULL
                    AND (sessions.branch_ts IS NULL OR excluded.branch_ts >= sessions.branch_ts)
                    THEN excluded.branch_ts ELSE sessions.branch_ts END,
                parent_session = coalesce(sessions.parent_session, excluded.parent_session)";

/// How long a connection waits for another one's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the database could not be used. Every variant names the file and what to do.
#[derive(Debug)]
pub enum StoreError {
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    NotADatabase {
        path: PathBuf,
    },
    /// A ledger whose pages or write-ahead log are damaged (a corrupted page, a truncated WAL):
    /// nothing is written to it until `tokenworth restore` puts a good snapshot back.
    Damaged {
        path: PathBuf,
        detail: String,
    },
    Locked {
        path: PathBuf,
    },
    /// The ledger cannot be opened or written for a reason of the file system (a data dir that is
    /// a file, a name too long, no permission, a read-only file or disk, a full disk): not a
    /// refusal of the database itself.
    Unwritable {
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

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NewerSchema { path, found, supported } => write!(
                f,
                "database {} was written by a newer Tokenworth (schema {found}, this build knows up to {supported}); it was left untouched: upgrade Tokenworth or use another --data-dir",
                path.display()
            ),
            StoreError::NotADatabase { path } => write!(
                f,
                "{} is not a Tokenworth database (corrupt or another kind of file); it was left untouched: move it aside to start a new ledger",
                path.display()
            ),
            StoreError::Damaged { path, detail } => write!(
                f,
                "database {} is damaged ({detail}); nothing was written to it: `tokenworth doctor` says what is wrong, `tokenworth restore` puts the last good snapshot back (the damaged file is kept aside)",
                path.display()
            ),
            StoreError::Locked { path } => write!(
                f,
                "database {} is locked by another process (a long scan?); try again when it finishes",
                path.display()
            ),
            StoreError::Unwritable { path, reason } => {
                write!(f, "cannot use the ledger {}: {reason}", path.display())
            }
            StoreError::Io { path, error } => write!(f, "cannot use {}: {error}", path.display()),
            StoreError::Sqlite { path, error } => write!(f, "database {}: {error}", path.display()),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    fn from_sqlite(path: &Path, error: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        let unwritable = |reason: String| StoreError::Unwritable { path: path.to_path_buf(), reason };
        match error.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path: path.to_path_buf() },
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                StoreError::Locked { path: path.to_path_buf() }
            }
            Some(ErrorCode::DatabaseCorrupt) => {
                StoreError::Damaged { path: path.to_path_buf(), detail: error.to_string() }
            }
            Some(ErrorCode::ReadOnly) => unwritable(READ_ONLY.into()),
            // A writer whose files were made read-only under it gets an I/O error on write.
            Some(ErrorCode::SystemIoFailure) if !files_writable(path) => unwritable(READ_ONLY.into()),
            Some(ErrorCode::DiskFull) => unwritable(DISK_FULL.into()),
            Some(ErrorCode::PermissionDenied) => unwritable("permission denied".into()),
            Some(ErrorCode::CannotOpen) => unwritable(why_not_open(path)),
            _ => StoreError::Sqlite { path: path.to_path_buf(), error },
        }
    }

    /// The database was refused (exit code 3 in the CLI): not a Tokenworth ledger, a newer
    /// one, a damaged one, or one locked past the busy timeout. Anything else (the file system)
    /// is another error.
    pub fn refused(&self) -> bool {
        matches!(
            self,
            StoreError::NewerSchema { .. }
                | StoreError::NotADatabase { .. }
                | StoreError::Damaged { .. }
                | StoreError::Locked { .. }
        )
    }

    /// The ledger can perhaps be read but not written (a read-only file, folder or disk, no
    /// permission, a full disk): a report can still report what is stored.
    pub fn read_only(&self) -> bool {
        match self {
            StoreError::Unwritable { reason, .. } => {
                reason == READ_ONLY || reason == DISK_FULL || reason == "permission denied"
            }
            StoreError::Io { error, .. } => error.kind() == std::io::ErrorKind::PermissionDenied,
            _ => false,
        }
    }
}

const DISK_FULL: &str = "the disk is full; what was stored before is kept: free some space and run again";

const READ_ONLY: &str = "it is read-only (the file, its folder or the disk cannot be written)";

/// Whether the database file and its write-ahead log, where they exist, can be opened for
/// writing (opening changes nothing).
fn files_writable(db: &Path) -> bool {
    [db.to_path_buf(), wal_path(db)].iter().filter(|p| p.exists()).all(|p| {
        !matches!(
            std::fs::OpenOptions::new().write(true).open(p),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied
        )
    })
}

/// Why SQLite could not open `path`, in the file system's words.
fn why_not_open(path: &Path) -> String {
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Ok(m) = std::fs::metadata(dir) {
        if !m.is_dir() {
            return format!("{} is a file, not a folder: give --data-dir a folder", dir.display());
        }
    }
    if path.components().any(|c| c.as_os_str().len() > 255) {
        return "a name in its path is longer than the file system allows (255 bytes)".into();
    }
    let probe = if path.exists() {
        std::fs::OpenOptions::new().read(true).write(true).open(path).err()
    } else {
        std::fs::read_dir(dir).err()
    };
    match probe {
        Some(e) if e.kind() == std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        Some(e) if e.raw_os_error() == Some(30) || e.raw_os_error() == Some(1) => READ_ONLY.into(),
        Some(e) => e.to_string(),
        None => READ_ONLY.into(),
    }
}

/// The page size of the OS page cache that a write to a file is made of (4 KiB on every
/// platform Tokenworth runs on; larger pages are multiples of it).
const KERNEL_PAGE: u64 = 4096;

/// The write-ahead log beside `db`, when it is cut inside a frame: `Some(what)` names the damage.
///
/// A WAL is a 32-byte header and whole frames (a 24-byte frame header, then a page). A writer
/// killed between the two writes of a frame leaves a frame header alone (24 bytes past a frame),
/// an uncommitted transaction that SQLite drops, and so does one killed inside a frame's write
/// (the file then ends at a page boundary of the OS page cache: the kernel stops a killed
/// process's write between pages); any other cut is a truncated file whose last transactions
/// are lost. A writer appending in another process can show a cut for an instant, so a cut must
/// be seen twice, 20 ms apart, at the same size.
pub fn wal_damage(db: &Path) -> Option<String> {
    let wal = wal_path(db);
    let cut = |wal: &Path| -> Option<u64> {
        let meta = std::fs::metadata(wal).ok()?;
        let size = meta.len();
        if size == 0 {
            return None;
        }
        if size < 32 {
            return Some(size);
        }
        let mut head = [0u8; 12];
        use std::io::Read;
        std::fs::File::open(wal).ok()?.read_exact(&mut head).ok()?;
        let magic = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if magic & !1 != 0x377f_0682 {
            return None; // not a WAL SQLite would read: it ignores it
        }
        let page = u32::from_be_bytes([head[8], head[9], head[10], head[11]]) as u64;
        let frame = page + 24;
        let rest = (size - 32) % frame;
        let torn_by_kill = size % KERNEL_PAGE == 0;
        (rest != 0 && rest != 24 && !torn_by_kill).then_some(size)
    };
    let first = cut(&wal)?;
    std::thread::sleep(Duration::from_millis(20));
    let again = cut(&wal)?;
    (first == again).then(|| {
        format!(
            "its write-ahead log {} is truncated: {again} bytes end inside a frame, so its last transactions are lost",
            wal.display()
        )
    })
}

/// `<db>.damaged`: written when damage was found (by a write that hit it, the doctor, a snapshot's
/// check), so no later write goes to the ledger until `restore` (or a doctor that finds it sound)
/// removes it. Its first line says what was found.
pub fn damage_marker(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".damaged");
    PathBuf::from(s)
}

/// Records that the ledger at `db` is damaged (see [`damage_marker`]); a best effort.
pub fn mark_damaged(db: &Path, detail: &str) {
    let _ = std::fs::write(damage_marker(db), format!("{}\n", detail.replace('\n', " ")));
}

/// `<db>-wal`.
pub fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

/// Where a file was left: enough to resume reading it, and to notice it was replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub id: i64,
    pub source: String,
    pub path: String,
    pub identity: String,
    pub size: u64,
    pub mtime_ns: i64,
    pub offset: u64,
    pub head_hash: u64,
    pub tail_hash: u64,
    /// The function `head_hash` and `tail_hash` were made with (`hash::fingerprint`).
    pub fingerprint: i64,
    pub state: Option<String>,
    pub skipped: u64,
    pub missing: bool,
}

/// The outcome of reading one file, to be committed with its events.
#[derive(Debug, Clone)]
pub struct FileUpdate {
    pub source: &'static str,
    pub path: String,
    pub identity: String,
    pub size: u64,
    pub mtime_ns: i64,
    pub offset: u64,
    pub head_hash: u64,
    pub tail_hash: u64,
    /// The function the hashes were made with (`hash::fingerprint`).
    pub fingerprint: i64,
    pub state: Option<String>,
    /// Malformed lines in the bytes this read covered.
    pub skipped: u64,
    /// The read started from byte 0 (new, replaced or rewritten file): its skipped count
    /// replaces the stored one instead of adding to it.
    pub from_start: bool,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The busy timeout set last (restored after a write that must not wait).
    busy: Duration,
}

impl Store {
    /// Opens (creating if needed) the ledger at `path` for writing, migrating it to this build's
    /// schema. Refuses newer schemas and files that are not databases, touching nothing.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|error| StoreError::Io { path: dir.to_path_buf(), error })?;
        }
        // Before any connection: the last one to close would checkpoint a truncated WAL into the
        // database and delete it, losing its committed transactions without a trace.
        if let Some(detail) = wal_damage(path) {
            return Err(StoreError::Damaged { path: path.to_path_buf(), detail });
        }
        if let Ok(detail) = std::fs::read_to_string(damage_marker(path)) {
            let detail = detail.lines().next().unwrap_or("found damaged earlier").to_owned();
            return Err(StoreError::Damaged { path: path.to_path_buf(), detail });
        }
        let conn = Connection::open(path).map_err(|e| StoreError::from_sqlite(path, e))?;
        let mut store = Store { conn, path: path.to_path_buf(), busy: BUSY_TIMEOUT };
        store.refuse_foreign()?;
        store.configure().map_err(|e| StoreError::from_sqlite(path, e))?;
        store.migrate()?;
        Ok(store)
    }

    /// Before anything is written (switching to WAL rewrites the header of a database in
    /// rollback mode): refuses a file that is not a database, a ledger of a newer schema, and
    /// another program's database (tables but no schema version of ours).
    fn refuse_foreign(&self) -> Result<(), StoreError> {
        let err = |e| StoreError::from_sqlite(&self.path, e);
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // One statement, one snapshot: another process may be creating the ledger meanwhile.
        let (version, objects): (i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version == 0 && objects > 0 {
            return Err(StoreError::NotADatabase { path: self.path.clone() });
        }
        Ok(())
    }

    /// How long a statement waits for another connection's lock before it fails with
    /// SQLITE_BUSY (5 s unless set; the status line waits 50 ms).
    pub fn set_busy_timeout(&mut self, d: Duration) -> Result<(), StoreError> {
        self.conn.busy_timeout(d).map_err(|e| self.err(e))?;
        self.busy = d;
        Ok(())
    }

    /// The kept folder listings (`crate::walk`), by folder: stamp and entries as stored (a
    /// row this build cannot read is left out, or refused by the walk: the folder is then read).
    pub fn listings(&self) -> Result<FxHashMap<String, (i64, Vec<u8>)>, StoreError> {
        let run = || -> rusqlite::Result<FxHashMap<String, (i64, Vec<u8>)>> {
            let mut out = FxHashMap::default();
            let mut stmt = self.conn.prepare("SELECT dir, stamp, entries FROM listings")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                if let (Ok(dir), Ok(stamp), Ok(entries)) =
                    (r.get_ref(0)?.as_str(), r.get_ref(1)?.as_i64(), r.get_ref(2)?.as_blob())
                {
                    out.insert(dir.to_string(), (stamp, entries.to_vec()));
                }
            }
            Ok(out)
        };
        run().map_err(|e| self.err(e))
    }

    /// Keeps these folder listings and forgets those of `gone`. A cache, so it never waits:
    /// while another connection writes (or on a ledger opened read-only), nothing is kept.
    pub fn keep_listings(
        &mut self,
        fresh: &[crate::walk::Listing],
        gone: &[String],
    ) -> Result<(), StoreError> {
        if fresh.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let busy = self.busy;
        self.conn.busy_timeout(Duration::ZERO).map_err(|e| self.err(e))?;
        let run = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut put =
                    tx.prepare("INSERT OR REPLACE INTO listings(dir, stamp, entries) VALUES (?1, ?2, ?3)")?;
                for l in fresh {
                    put.execute(params![l.dir, l.stamp, l.encode()])?;
                }
                let mut del = tx.prepare("DELETE FROM listings WHERE dir = ?1")?;
                for d in gone {
                    del.execute([d])?;
                }
            }
            tx.commit()
        };
        let result = run(&mut self.conn);
        self.conn.busy_timeout(busy).map_err(|e| self.err(e))?;
        match result {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                Ok(())
            }
            r => r.map_err(|e| self.err(e)),
        }
    }

    /// Opens an existing ledger read-only (a reader beside the writer).
    pub fn open_readonly(path: &Path) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |conn: rusqlite::Result<Connection>| -> Result<(Store, i64), rusqlite::Error> {
            let conn = conn?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // SQLite opens lazily: the first read says whether the file can be read.
            let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            Ok((Store { conn, path: path.to_path_buf(), busy: BUSY_TIMEOUT }, v))
        };
        let (store, v) = match open(Connection::open_with_flags(path, flags)) {
            Ok(s) => s,
            // A ledger in a folder that cannot be written has no `-shm` to share: nobody can
            // write it either, so it is read as an immutable file.
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen)
                    && path.is_file()
                    && !wal_path(path).exists() =>
            {
                let real = std::fs::canonicalize(path)
                    .map_err(|error| StoreError::Io { path: path.to_path_buf(), error })?;
                let mut uri =
                    url::Url::from_file_path(real).map_err(|()| StoreError::from_sqlite(path, e))?;
                uri.set_query(Some("immutable=1"));
                open(Connection::open_with_flags(uri.as_str(), flags | OpenFlags::SQLITE_OPEN_URI))
                    .map_err(|e| StoreError::from_sqlite(path, e))?
            }
            Err(e) => return Err(StoreError::from_sqlite(path, e)),
        };
        if v > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: v,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(store)
    }

    fn configure(&mut self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Reading the header first turns "not a database" into an error here, before any write.
        let _: i64 = self.conn.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
        // Switching a ledger to WAL takes an exclusive lock without calling the busy handler: while
        // another process is creating the same ledger, it fails at once with SQLITE_BUSY. It is
        // tried again for as long as the busy timeout would have waited.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mode: String = loop {
            match self.conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                r => break r?,
            }
        };
        debug_assert!(mode.eq_ignore_ascii_case("wal") || mode.eq_ignore_ascii_case("memory"));
        // Statement journals stay in memory; a 32 MiB page cache keeps a
        // batch's dirty pages from spilling mid-transaction.
        self.conn.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;",
        )?;
        Ok(())
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        // Immediate: take the write lock first (waiting out the busy timeout). A deferred
        // transaction that has read cannot wait for it: SQLite refuses the upgrade at once.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        // Re-check inside the write transaction: another process may have migrated meanwhile.
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            tx.execute_batch(sql).map_err(err)?;
            if i + 1 == 5 {
                repair_implausible(&tx).map_err(err)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64).map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Copies what the write-ahead log holds into the database file, on a connection of its own,
    /// without waiting for (or blocking) readers and the writer: a best effort, so errors are
    /// ignored. A scan that wrote much can have this done on another thread while its own
    /// connection reports; otherwise that connection does it when it closes.
    pub fn checkpoint(path: &Path) {
        if let Ok(conn) = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ) {
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    }

    /// Frees this connection's page cache (for a long-lived connection after a large scan).
    pub fn shrink_memory(&self) {
        let _ = self.conn.execute_batch("PRAGMA shrink_memory");
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, e)
    }

    /// Every file cursor, keyed by path.
    pub fn cursors(&self) -> Result<HashMap<String, Cursor>, StoreError> {
        self.cursors_where("", &[])
    }

    /// The cursors of the files not marked missing, keyed by path: what a scan compares the
    /// files it finds with (a ledger's history holds many more of the others, which a file that
    /// comes back looks up with [`Store::cursors_of`]).
    /// Only what tells a file unchanged is read (source, identity, size, time, offset): `state`,
    /// the hashes and the skipped count are left empty, and a scan reads the whole cursor of a
    /// file it is going to read ([`Store::cursors_of`]).
    pub fn present_cursors(&self) -> Result<FxHashMap<String, Cursor>, StoreError> {
        let run = || -> rusqlite::Result<FxHashMap<String, Cursor>> {
            let mut stmt = self.conn.prepare(
                "SELECT id, source, path, identity, size, mtime_ns, offset
                 FROM files INDEXED BY files_present WHERE missing = 0",
            )?;
            let mut map = FxHashMap::default();
            let mut rows = stmt.query([])?;
            // Read through `ValueRef`s (a typed `get` converts and checks each column again):
            // this is most of what a scan that finds nothing new does on this thread.
            while let Some(r) = rows.next()? {
                let int = |i: usize| -> rusqlite::Result<i64> { Ok(r.get_ref(i)?.as_i64()?) };
                let text = |i: usize| -> rusqlite::Result<String> { Ok(r.get_ref(i)?.as_str()?.to_owned()) };
                let path = text(2)?;
                let c = Cursor {
                    id: int(0)?,
                    source: text(1)?,
                    path: path.clone(),
                    identity: text(3)?,
                    size: int(4)? as u64,
                    mtime_ns: int(5)?,
                    offset: int(6)? as u64,
                    head_hash: 0,
                    tail_hash: 0,
                    state: None,
                    skipped: 0,
                    missing: false,
                    fingerprint: 0,
                };
                map.insert(path, c);
            }
            Ok(map)
        };
        run().map_err(|e| self.err(e))
    }

    /// The cursors of these paths only (those that have one).
    pub fn cursors_of(&self, paths: &[String]) -> Result<HashMap<String, Cursor>, StoreError> {
        let mut out = HashMap::new();
        for p in paths {
            out.extend(self.cursors_where(" WHERE path = ?1", &[p])?);
        }
        Ok(out)
    }

    fn cursors_where(&self, cond: &str, params: &[&String]) -> Result<HashMap<String, Cursor>, StoreError> {
        let run = || -> rusqlite::Result<HashMap<String, Cursor>> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT id, source, path, identity, size, mtime_ns, offset, head_hash, tail_hash, state, skipped, missing, fingerprint
                 FROM files{cond}"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
                Ok(Cursor {
                    id: r.get(0)?,
                    source: r.get(1)?,
                    path: r.get(2)?,
                    identity: r.get(3)?,
                    size: r.get::<_, i64>(4)? as u64,
                    mtime_ns: r.get(5)?,
                    offset: r.get::<_, i64>(6)? as u64,
                    head_hash: r.get::<_, i64>(7)? as u64,
                    tail_hash: r.get::<_, i64>(8)? as u64,
                    state: r.get(9)?,
                    skipped: r.get::<_, i64>(10)? as u64,
                    missing: r.get::<_, i64>(11)? != 0,
                    fingerprint: r.get(12)?,
                })
            })?;
            rows.map(|r| r.map(|c| (c.path.clone(), c))).collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Starts the single write transaction of a batch of files.
    pub fn batch(&mut self) -> Result<Batch<'_>, StoreError> {
        let path = self.path.clone();
        // Immediate, for the same reason as in `migrate`: this transaction reads before it writes.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::from_sqlite(&path, e))?;
        let sidechain_groups = {
            let mut stmt = tx
                .prepare("SELECT DISTINCT group_key FROM events WHERE sidechain = 1")
                .map_err(|e| StoreError::from_sqlite(&path, e))?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<FxHashSet<String>>>())
                .map_err(|e| StoreError::from_sqlite(&path, e))?;
            rows
        };
        let mut batch = Batch {
            tx,
            path,
            sidechain_groups,
            rollup: Rollup::default(),
            sessions: Vec::new(),
            resets: Vec::new(),
            day_tz: None,
        };
        // The per-day table is kept in the zone it was built in; a zone this build does not
        // know (a newer zone database wrote it) is not kept any more.
        let kept = day_zone(&batch.tx).and_then(|zone| match zone.map(|z| z.parse::<Tz>()) {
            None => Ok(()),
            Some(Ok(tz)) => {
                batch.day_tz = Some(tz);
                Ok(())
            }
            Some(Err(_)) => batch.stop_days(),
        });
        kept.map_err(|e| StoreError::from_sqlite(&batch.path, e))?;
        Ok(batch)
    }

    /// The zone `day_rollup` is kept in, if any.
    pub fn day_zone(&self) -> Result<Option<String>, StoreError> {
        day_zone(&self.conn).map_err(|e| self.err(e))
    }
}

fn day_zone(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([DAY_ZONE], |r| r.get(0))
        .optional()
}

/// A write transaction: files' events and cursors, committed together.
pub struct Batch<'a> {
    tx: Transaction<'a>,
    path: PathBuf,
    /// Groups that have sidechain rows stored: only those need a main-chain event to look for
    /// replays to delete.
    sidechain_groups: FxHashSet<String>,
    /// Rollup sums of the rows this batch inserted, flushed before commit.
    rollup: Rollup,
    /// Per source, per session: what this batch's inserted events say of the session.
    sessions: BatchSessions,
    /// Running totals this batch saw go down (each taken as a reset), as warnings.
    resets: Vec<String>,
    /// The zone `day_rollup` is kept in (migration 8), if it is kept.
    day_tz: Option<Tz>,
}

/// Per source, per session id.
type BatchSessions = Vec<(&'static str, HashMap<String, SessionAcc>)>;

/// A session as seen by the events of one batch, merged into `sessions` before commit.
struct SessionAcc {
    project: String,
    start: i64,
    end: i64,
    branch: Option<(String, i64)>,
    parent: Option<String>,
}

/// Reads `input, cw5m, cw1h, cache_read, output, reasoning` from six columns starting at `first`.
/// Read through `ValueRef`s: a typed `get` checks and converts each column again, a fifth of a
/// warm `daily` over a long history.
pub fn tokens_at(r: &rusqlite::Row, first: usize) -> rusqlite::Result<Tokens> {
    let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get_ref(first + i)?.as_i64()?.max(0) as u64) };
    Ok(Tokens {
        input: n(0)?,
        cache_write_5m: n(1)?,
        cache_write_1h: n(2)?,
        cache_read: n(3)?,
        output: n(4)?,
        reasoning: n(5)?,
    })
}

/// The columns of an `events` row that the rollup sums.
struct StoredRow {
    source: String,
    project: String,
    model: String,
    ts_ms: i64,
    tokens: Tokens,
    logged_cost: Option<f64>,
}

impl StoredRow {
    /// From `source, project, model, ts, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost`.
    fn from_row(r: &rusqlite::Row) -> rusqlite::Result<StoredRow> {
        Ok(StoredRow {
            source: r.get(0)?,
            project: r.get(1)?,
            model: r.get(2)?,
            ts_ms: r.get(3)?,
            tokens: tokens_at(r, 4)?,
            logged_cost: r.get(10)?,
        })
    }

    fn as_ref(&self) -> RowRef<'_> {
        RowRef {
            source: &self.source,
            project: &self.project,
            model: &self.model,
            ts_ms: self.ts_ms,
            tokens: self.tokens,
            logged_cost: self.logged_cost,
        }
    }
}

/// A row's rollup columns, borrowed from an event or a [`StoredRow`].
#[derive(Clone, Copy)]
struct RowRef<'a> {
    source: &'a str,
    project: &'a str,
    model: &'a str,
    ts_ms: i64,
    tokens: Tokens,
    logged_cost: Option<f64>,
}

impl<'a> RowRef<'a> {
    fn from_event(e: &'a UsageEvent) -> RowRef<'a> {
        RowRef {
            source: e.source,
            project: &e.project,
            model: &e.model,
            ts_ms: e.ts_ms,
            tokens: e.tokens,
            logged_cost: e.logged_cost_usd,
        }
    }
}

/// A rollup row's key; names are indexes into [`Rollup::names`], so summing an event allocates
/// nothing once its source, project and model have been seen.
#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct RollupKey {
    bucket: i64,
    source: u32,
    project: u32,
    model: u32,
    long: bool,
    logged: bool,
}

#[derive(Default)]
struct RollupSums {
    requests: i64,
    input: i64,
    cw5m: i64,
    cw1h: i64,
    cache_read: i64,
    output: i64,
    reasoning: i64,
    logged_cost: f64,
}

/// Rollup sums of a batch, kept in memory until the batch flushes them.
#[derive(Default)]
struct Rollup {
    sums: FxHashMap<RollupKey, RollupSums>,
    names: Vec<Box<str>>,
    ids: FxHashMap<Box<str>, u32>,
}

impl Rollup {
    fn name(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// Adds (`sign` 1) or removes (`sign` -1) a row's contribution.
    fn add(&mut self, r: RowRef, sign: i64) {
        let t = &r.tokens;
        let key = RollupKey {
            bucket: r.ts_ms.div_euclid(BUCKET_MS),
            source: self.name(r.source),
            project: self.name(r.project),
            model: self.name(r.model),
            long: tokenworth_pricing::is_long_context(&t.pricing()),
            logged: r.logged_cost.is_some(),
        };
        let s = self.sums.entry(key).or_default();
        s.requests += sign;
        s.input += sign * t.input as i64;
        s.cw5m += sign * t.cache_write_5m as i64;
        s.cw1h += sign * t.cache_write_1h as i64;
        s.cache_read += sign * t.cache_read as i64;
        s.output += sign * t.output as i64;
        s.reasoning += sign * t.reasoning as i64;
        s.logged_cost += sign as f64 * r.logged_cost.unwrap_or(0.0);
    }
}

/// Records a newly stored event in its session's span (a copy already stored under another
/// session is not: it belongs to that one).
fn session_add(sessions: &mut BatchSessions, e: &UsageEvent) {
    let i = match sessions.iter().position(|(s, _)| *s == e.source) {
        Some(i) => i,
        None => {
            sessions.push((e.source, HashMap::new()));
            sessions.len() - 1
        }
    };
    let map = &mut sessions[i].1;
    let acc = match map.get_mut(e.session_id.as_str()) {
        Some(a) => a,
        None => map.entry(e.session_id.clone()).or_insert_with(|| SessionAcc {
            project: e.project.clone(),
            start: e.ts_ms,
            end: e.ts_ms,
            branch: None,
            parent: None,
        }),
    };
    if e.ts_ms < acc.start {
        acc.start = e.ts_ms;
        acc.project.clone_from(&e.project);
    }
    acc.end = acc.end.max(e.ts_ms);
    if let Some(b) = &e.git_branch {
        if acc.branch.as_ref().is_none_or(|(_, ts)| e.ts_ms >= *ts) {
            acc.branch = Some((b.clone(), e.ts_ms));
        }
    }
    if acc.parent.is_none() {
        acc.parent.clone_from(&e.parent_session);
    }
}

impl Batch<'_> {
    /// Stores one file's new events, the deltas of its running totals, and its cursor. Returns
    /// the number of events given to the ledger (requests and deltas).
    pub fn apply(
        &mut self,
        file: &FileUpdate,
        events: &[UsageEvent],
        totals: &[Observation],
    ) -> Result<usize, StoreError> {
        let run = |b: &mut Self| -> rusqlite::Result<usize> {
            let file_id = b.upsert_file(file)?;
            b.insert_events(Some(file_id), events)?;
            let deltas = b.deltas(file, totals)?;
            b.insert_events(Some(file_id), &deltas)?;
            Ok(events.len() + deltas.len())
        };
        run(self).map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// The running totals seen going down since the last call (each counted as a reset: its new
    /// value is new usage, never a negative), one warning sentence each.
    pub fn take_resets(&mut self) -> Vec<String> {
        std::mem::take(&mut self.resets)
    }

    /// Turns observations of running totals into delta events against the last observation of
    /// each counter, and records them as the last observation.
    fn deltas(&mut self, f: &FileUpdate, totals: &[Observation]) -> rusqlite::Result<Vec<UsageEvent>> {
        let mut out = Vec::new();
        for obs in totals {
            let source = obs.event.source;
            let last = self
                .tx
                .prepare_cached(
                    "SELECT input, cw5m, cw1h, cache_read, output, reasoning, logged_cost, resets
                     FROM totals WHERE source = ?1 AND counter = ?2",
                )?
                .query_row(params![source, obs.counter], |r| {
                    Ok((tokens_at(r, 0)?, r.get::<_, Option<f64>>(6)?, r.get::<_, i64>(7)?))
                })
                .optional()?;
            let cur = obs.event.tokens;
            let cost = obs.event.logged_cost_usd;
            let (delta, delta_cost, resets) = match last {
                None => (cur, cost, 0),
                Some((prev, prev_cost, resets)) => {
                    let grew = cur.input >= prev.input
                        && cur.cache_write_5m >= prev.cache_write_5m
                        && cur.cache_write_1h >= prev.cache_write_1h
                        && cur.cache_read >= prev.cache_read
                        && cur.output >= prev.output
                        && cur.reasoning >= prev.reasoning
                        && cost.unwrap_or(0.0) >= prev_cost.unwrap_or(0.0);
                    if grew {
                        let d = Tokens {
                            input: cur.input - prev.input,
                            cache_write_5m: cur.cache_write_5m - prev.cache_write_5m,
                            cache_write_1h: cur.cache_write_1h - prev.cache_write_1h,
                            cache_read: cur.cache_read - prev.cache_read,
                            output: cur.output - prev.output,
                            reasoning: cur.reasoning - prev.reasoning,
                        };
                        let dc = cost.map(|c| c - prev_cost.unwrap_or(0.0));
                        if d.is_zero() && dc.is_none_or(|c| c.abs() < 1e-12) {
                            continue; // the same total seen again
                        }
                        (d, dc, resets)
                    } else {
                        // A counter that went down was reset: its value is what it counted since.
                        self.resets.push(format!(
                            "{}: the running total of {source} {} went down ({} tokens, then {}); \
                             taken as a reset: its new value is counted as new usage, nothing is subtracted",
                            f.path,
                            obs.counter,
                            prev.total(),
                            cur.total()
                        ));
                        (cur, cost, resets + 1)
                    }
                }
            };
            let ts = if obs.event.ts_ms > 0 { obs.event.ts_ms } else { f.mtime_ns.div_euclid(1_000_000) };
            self.tx
                .prepare_cached(
                    "INSERT INTO totals(source, counter, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost, resets, observed_ts)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT(source, counter) DO UPDATE SET input = excluded.input, cw5m = excluded.cw5m,
                        cw1h = excluded.cw1h, cache_read = excluded.cache_read, output = excluded.output,
                        reasoning = excluded.reasoning, logged_cost = excluded.logged_cost,
                        resets = excluded.resets, observed_ts = excluded.observed_ts",
                )?
                .execute(params![
                    source,
                    obs.counter,
                    cur.input as i64,
                    cur.cache_write_5m as i64,
                    cur.cache_write_1h as i64,
                    cur.cache_read as i64,
                    cur.output as i64,
                    cur.reasoning as i64,
                    cost,
                    resets,
                    ts
                ])?;
            // Unique per observation: within one run of a counter its sum only grows.
            let sum = cur.total() + cur.reasoning;
            let cost_micro = cost.map_or(0, |c| (c * 1e6).round() as i64);
            let mut e = obs.event.clone();
            e.dedupe_key = format!("{source}/{}#{resets}#{sum}#{cost_micro}", obs.counter);
            e.tokens = delta;
            e.logged_cost_usd = delta_cost;
            e.ts_ms = ts;
            out.push(e);
        }
        Ok(out)
    }

    fn upsert_file(&mut self, f: &FileUpdate) -> rusqlite::Result<i64> {
        self.tx.prepare_cached(
            "INSERT INTO files(source, path, identity, size, mtime_ns, offset, head_hash, tail_hash, state, skipped, missing, fingerprint, skipped_since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?12, CASE WHEN ?10 > 0 THEN ?5 / 1000000 END)
             ON CONFLICT(path) DO UPDATE SET source = excluded.source, identity = excluded.identity,
                size = excluded.size, mtime_ns = excluded.mtime_ns, offset = excluded.offset,
                head_hash = excluded.head_hash, tail_hash = excluded.tail_hash, fingerprint = excluded.fingerprint,
                state = excluded.state,
                skipped = CASE WHEN ?11 THEN excluded.skipped ELSE files.skipped + excluded.skipped END,
                skipped_since = CASE
                    WHEN (CASE WHEN ?11 THEN excluded.skipped ELSE files.skipped + excluded.skipped END) = 0 THEN NULL
                    ELSE coalesce(files.skipped_since, ?5 / 1000000) END,
                missing = 0
             RETURNING id",
        )?
        .query_row(
            params![
                f.source,
                f.path,
                f.identity,
                f.size as i64,
                f.mtime_ns,
                f.offset as i64,
                f.head_hash as i64,
                f.tail_hash as i64,
                f.state,
                f.skipped as i64,
                f.from_start,
                f.fingerprint
            ],
            |r| r.get(0),
        )
    }

    /// Inserts events (keeping the one with more output of a key stored already); returns how
    /// many were new.
    fn insert_events(&mut self, file_id: Option<i64>, events: &[UsageEvent]) -> rusqlite::Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        let mut added = 0;
        let Batch { tx, sidechain_groups, rollup, sessions, .. } = self;
        // Looked up once per file, not per event (the cache hashes the SQL text).
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO events(dedupe_key, group_key, sidechain, source, session_id, project, model,
                model_fallback, ts, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost, file_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        for e in events {
            if let Some(group) = &e.group_key {
                if e.sidechain {
                    // A sidechain replay of a message already stored from the main chain. Keys
                    // of one message share the prefix `<group>:`, so the unique key index finds
                    // them as a range.
                    let replay = tx
                        .prepare_cached(
                            "SELECT 1 FROM events WHERE dedupe_key >= ?1 || ':' AND dedupe_key < ?1 || ';'
                               AND group_key = ?1 AND sidechain = 0 AND dedupe_key <> ?2 LIMIT 1",
                        )?
                        .query_row(params![group, e.dedupe_key], |_| Ok(()))
                        .optional()?;
                    if replay.is_some() {
                        continue;
                    }
                    if !sidechain_groups.contains(group) {
                        sidechain_groups.insert(group.clone());
                    }
                } else if sidechain_groups.contains(group) {
                    let gone: Vec<StoredRow> = tx
                        .prepare_cached(
                            "DELETE FROM events WHERE group_key = ?1 AND sidechain = 1 AND dedupe_key <> ?2
                             RETURNING source, project, model, ts, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost",
                        )?
                        .query_map(params![group, e.dedupe_key], StoredRow::from_row)?
                        .collect::<rusqlite::Result<_>>()?;
                    for row in &gone {
                        rollup.add(row.as_ref(), -1);
                    }
                }
            }
            let t = &e.tokens;
            // One list of values binds both statements below: the insert takes all of them, the
            // update of a request stored already takes the ones it changes, by the same numbers.
            let values = params![
                e.dedupe_key,
                e.group_key,
                e.sidechain,
                e.source,
                e.session_id,
                e.project,
                e.model,
                e.model_fallback,
                e.ts_ms,
                t.input as i64,
                t.cache_write_5m as i64,
                t.cache_write_1h as i64,
                t.cache_read as i64,
                t.output as i64,
                t.reasoning as i64,
                e.logged_cost_usd,
                file_id
            ];
            let inserted = insert.execute(values)?;
            let new_row = RowRef::from_event(e);
            if inserted == 1 {
                rollup.add(new_row, 1);
                session_add(sessions, e);
                added += 1;
                continue;
            }
            // The request is stored already: keep whichever line has more output (then the
            // larger prompt).
            let old: StoredRow = tx
                .prepare_cached(
                    "SELECT source, project, model, ts, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost
                     FROM events WHERE dedupe_key = ?1",
                )?
                .query_row([&e.dedupe_key], StoredRow::from_row)?;
            let (o, n) = (&old.tokens, &new_row.tokens);
            let better =
                n.output > o.output || (n.output == o.output && n.total() - n.output > o.total() - o.output);
            if !better {
                continue;
            }
            tx.prepare_cached(
                "UPDATE events SET
                    model = ?7, model_fallback = ?8, ts = ?9, input = ?10, cw5m = ?11, cw1h = ?12,
                    cache_read = ?13, output = ?14, reasoning = ?15, logged_cost = ?16
                 WHERE dedupe_key = ?1",
            )?
            .execute(&values[..16])?;
            // The row keeps its source and project; only what the UPDATE set changes.
            let replaced = RowRef { source: &old.source, project: &old.project, ..new_row };
            rollup.add(old.as_ref(), -1);
            rollup.add(replaced, 1);
        }
        Ok(added)
    }

    /// Stores events that came from an export rather than a log (no file, no cursor), by the
    /// same rules as a scan's: keyed, the sidechain rule, the rollup and sessions kept. Returns
    /// how many were new.
    pub fn import_events(&mut self, events: &[UsageEvent]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        self.insert_events(None, events).map_err(|e| StoreError::from_sqlite(&path, e))
    }

    /// The batch's transaction, for the rows an import merges beside events (sessions, tags,
    /// commits, running totals): tables a scan never writes or only widens.
    pub(crate) fn tx(&self) -> &Connection {
        &self.tx
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn flush_sessions(&mut self) -> rusqlite::Result<()> {
        let mut stmt = self.tx.prepare_cached(SESSION_UPSERT)?;
        for (source, map) in self.sessions.drain(..) {
            for (id, a) in map {
                let (branch, branch_ts) = a.branch.map_or((None, None), |(b, ts)| (Some(b), Some(ts)));
                // A session is never its own parent.
                let parent = a.parent.filter(|p| *p != id);
                stmt.execute(params![source, id, a.project, a.start, a.end, branch, branch_ts, parent])?;
            }
        }
        Ok(())
    }

    /// Whether the ledger holds no event yet (a first scan: the bulk load of a history).
    pub fn no_events(&self) -> Result<bool, StoreError> {
        self.tx
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM events)", [], |r| r.get(0))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Sets whether the request time index `events_ts` exists. A bulk load drops it in its first
    /// batch and builds it in its last (one sort instead of an index entry per insert, in file
    /// order); any other scan builds it if a bulk load that stopped half-way left it missing.
    pub fn set_time_index(&mut self, on: bool) -> Result<(), StoreError> {
        let sql = if on {
            "CREATE INDEX IF NOT EXISTS events_ts ON events(ts)"
        } else {
            "DROP INDEX IF EXISTS events_ts"
        };
        self.tx.execute_batch(sql).map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Whether `events_ts` exists.
    pub fn has_time_index(&self) -> Result<bool, StoreError> {
        self.tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_ts')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Marks files that are gone from disk. Their events stay.
    pub fn mark_missing(&mut self, paths: &[String]) -> Result<(), StoreError> {
        let run = || -> rusqlite::Result<()> {
            let mut stmt = self.tx.prepare_cached("UPDATE files SET missing = 1 WHERE path = ?1")?;
            for p in paths {
                stmt.execute([p])?;
            }
            Ok(())
        };
        run().map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    fn flush_rollup(&mut self) -> rusqlite::Result<()> {
        flush_rollup(&self.tx, &mut self.rollup, self.day_tz)
    }

    /// Keeps `day_rollup` in `tz` from this batch on: when it was kept in another zone, or not
    /// at all, it is built again from the rollup (the days of every zone differ).
    pub fn keep_days(&mut self, tz: Tz) -> Result<(), StoreError> {
        if self.day_tz == Some(tz) {
            return Ok(());
        }
        let run = || -> rusqlite::Result<()> {
            self.tx.execute("DELETE FROM day_rollup", [])?;
            let (lo, hi): (Option<i64>, Option<i64>) = self.tx.query_row(
                "SELECT (SELECT min(bucket) FROM rollup), (SELECT max(bucket) FROM rollup)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if let (Some(lo), Some(hi)) = (lo, hi) {
                // Per stretch of one offset, the stretch's buckets summed per local day; a day
                // cut by an offset change gets the sums of both stretches.
                let mut stmt = self.tx.prepare(&format!(
                    "INSERT INTO day_rollup
                     SELECT (bucket * {BUCKET_MS} + ?1 - (((bucket * {BUCKET_MS} + ?1) % {DAY_MS}) + {DAY_MS}) % {DAY_MS}) / {DAY_MS},
                        source, model, long, logged, sum(requests), sum(input), sum(cw5m), sum(cw1h),
                        sum(cache_read), sum(output), sum(reasoning), sum(logged_cost)
                     FROM rollup WHERE bucket >= ?2 AND bucket < ?3
                     GROUP BY 1, source, model, long, logged
                     ON CONFLICT DO UPDATE SET {ADD_SUMS}"
                ))?;
                for (first, stop, off) in offset_stretches(tz, lo, hi + 1) {
                    stmt.execute(params![off, first, stop])?;
                }
            }
            self.tx.execute(
                "INSERT OR REPLACE INTO settings(key, value) VALUES (?1, ?2)",
                params![DAY_ZONE, tz.name()],
            )?;
            Ok(())
        };
        run().map_err(|e| StoreError::from_sqlite(&self.path, e))?;
        self.day_tz = Some(tz);
        Ok(())
    }

    /// Stops keeping `day_rollup` (empty, no zone): reports sum the rollup.
    fn stop_days(&mut self) -> rusqlite::Result<()> {
        self.tx.execute("DELETE FROM day_rollup", [])?;
        self.tx.execute("DELETE FROM settings WHERE key = ?1", [DAY_ZONE])?;
        self.day_tz = None;
        Ok(())
    }

    pub fn commit(mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.flush_rollup().map_err(|e| StoreError::from_sqlite(&path, e))?;
        self.flush_sessions().map_err(|e| StoreError::from_sqlite(&path, e))?;
        self.tx.commit().map_err(|e| StoreError::from_sqlite(&path, e))
    }
}

/// How an upsert adds a row's sums to those stored (`rollup`, `day_rollup`).
const ADD_SUMS: &str = "requests = requests + excluded.requests, input = input + excluded.input,
    cw5m = cw5m + excluded.cw5m, cw1h = cw1h + excluded.cw1h,
    cache_read = cache_read + excluded.cache_read, output = output + excluded.output,
    reasoning = reasoning + excluded.reasoning, logged_cost = logged_cost + excluded.logged_cost";

/// Adds a rollup's sums to the `rollup` table, and to `day_rollup` when it is kept in `day_tz`
/// (rows that reach 0 requests go).
fn flush_rollup(tx: &Connection, rollup: &mut Rollup, day_tz: Option<Tz>) -> rusqlite::Result<()> {
    if let Some(tz) = day_tz {
        flush_days(tx, rollup, tz)?;
    }
    {
        let mut stmt = tx.prepare_cached(&format!(
            "INSERT INTO rollup VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT DO UPDATE SET {ADD_SUMS}"
        ))?;
        let Rollup { sums, names, .. } = rollup;
        for (k, s) in sums.drain() {
            stmt.execute(params![
                k.bucket,
                names[k.source as usize],
                names[k.project as usize],
                names[k.model as usize],
                k.long,
                k.logged,
                s.requests,
                s.input,
                s.cw5m,
                s.cw1h,
                s.cache_read,
                s.output,
                s.reasoning,
                s.logged_cost
            ])?;
        }
    }
    tx.prepare_cached("DELETE FROM rollup WHERE requests = 0")?.execute([])?;
    Ok(())
}

/// Adds a rollup's sums to `day_rollup`, per local day in `tz`.
fn flush_days(tx: &Connection, rollup: &Rollup, tz: Tz) -> rusqlite::Result<()> {
    let mut days: FxHashMap<(i64, u32, u32, bool, bool), RollupSums> = FxHashMap::default();
    // A batch's buckets cluster in a few days: the offset is looked up once per UTC day unless
    // the day has a change.
    let mut offsets: FxHashMap<i64, Option<i64>> = FxHashMap::default();
    for (k, v) in &rollup.sums {
        let utc_day = k.bucket.div_euclid(DAY_MS / BUCKET_MS);
        let whole = *offsets.entry(utc_day).or_insert_with(|| {
            let first = offset_ms(tz, utc_day * DAY_MS);
            (first == offset_ms(tz, utc_day * DAY_MS + DAY_MS - BUCKET_MS)).then_some(first)
        });
        let at = k.bucket * BUCKET_MS;
        let off = whole.unwrap_or_else(|| offset_ms(tz, at));
        let day = (at + off).div_euclid(DAY_MS);
        let d = days.entry((day, k.source, k.model, k.long, k.logged)).or_default();
        d.requests += v.requests;
        d.input += v.input;
        d.cw5m += v.cw5m;
        d.cw1h += v.cw1h;
        d.cache_read += v.cache_read;
        d.output += v.output;
        d.reasoning += v.reasoning;
        d.logged_cost += v.logged_cost;
    }
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO day_rollup VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT DO UPDATE SET {ADD_SUMS}"
    ))?;
    for ((day, source, model, long, logged), s) in days {
        stmt.execute(params![
            day,
            rollup.names[source as usize],
            rollup.names[model as usize],
            long,
            logged,
            s.requests,
            s.input,
            s.cw5m,
            s.cw1h,
            s.cache_read,
            s.output,
            s.reasoning,
            s.logged_cost
        ])?;
    }
    tx.prepare_cached("DELETE FROM day_rollup WHERE requests = 0")?.execute([])?;
    Ok(())
}

/// Migration 5: removes the rows earlier builds stored from hostile or broken records (token
/// counts outside 0 to [`MAX_TOKENS`], stored as -1 or wrapping the sums; times before 2020 or
/// after 2100), rebuilds the rollup rows they had touched from the events that remain, and
/// narrows their sessions' spans to those events.
fn repair_implausible(tx: &Connection) -> rusqlite::Result<()> {
    let gone: Vec<(i64, String, String, String, String)> = tx
        .prepare(
            "DELETE FROM events
             WHERE min(input, cw5m, cw1h, cache_read, output, reasoning) < 0
                OR max(input, cw5m, cw1h, cache_read, output, reasoning) > ?1
                OR ts < ?2 OR ts > ?3
             RETURNING ts, source, project, model, session_id",
        )?
        .query_map(params![MAX_TOKENS, crate::ingest::EARLIEST_MS, 4_102_444_800_000i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if gone.is_empty() {
        return Ok(());
    }
    let mut keys: Vec<(i64, &str, &str, &str)> = gone
        .iter()
        .map(|(ts, s, p, m, _)| (ts.div_euclid(BUCKET_MS), s.as_str(), p.as_str(), m.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut rollup = Rollup::default();
    for (bucket, source, project, model) in keys {
        tx.execute(
            "DELETE FROM rollup WHERE bucket = ?1 AND source = ?2 AND project = ?3 AND model = ?4",
            params![bucket, source, project, model],
        )?;
        let mut stmt = tx.prepare_cached(
            "SELECT source, project, model, ts, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost
             FROM events WHERE ts >= ?1 AND ts < ?2 AND source = ?3 AND project = ?4 AND model = ?5",
        )?;
        let rows = stmt.query_map(
            params![bucket * BUCKET_MS, (bucket + 1) * BUCKET_MS, source, project, model],
            StoredRow::from_row,
        )?;
        for row in rows {
            rollup.add(row?.as_ref(), 1);
        }
    }
    // Migration 5 runs before `day_rollup` exists.
    flush_rollup(tx, &mut rollup, None)?;
    let mut sessions: Vec<(&str, &str)> =
        gone.iter().map(|(_, s, _, _, id)| (s.as_str(), id.as_str())).collect();
    sessions.sort_unstable();
    sessions.dedup();
    for (source, id) in sessions {
        let span: (Option<i64>, Option<i64>) = tx.query_row(
            "SELECT min(ts), max(ts) FROM events WHERE source = ?1 AND session_id = ?2",
            params![source, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        match span {
            (Some(start), Some(end)) => tx.execute(
                "UPDATE sessions SET start_ts = ?3, end_ts = ?4 WHERE source = ?1 AND session_id = ?2",
                params![source, id, start, end],
            )?,
            _ => {
                tx.execute("DELETE FROM sessions WHERE source = ?1 AND session_id = ?2", params![source, id])?
            }
        };
    }
    Ok(())
}
