//! Reading another tool's SQLite database without ever writing beside it: no write lock taken,
//! no file created, changed or removed next to it.
//!
//! - `-wal` and `-shm` both exist (the tool is running, or left them): opened `mode=ro`, so rows
//!   committed in the WAL but not yet checkpointed are read through the tool's own WAL index.
//! - Neither exists (nothing is writing): opened `immutable=1`: no locks and no `-shm` or
//!   `-journal` created.
//! - Any other case (a `-wal` without its `-shm`, a hot rollback journal): the files are copied to
//!   a temporary directory and the copy is opened, so SQLite's recovery runs on the copy.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// An open read-only view of a tool's database (and the temporary copy it may live in).
pub struct Db {
    pub conn: Connection,
    /// How it was opened, for messages and tests.
    pub mode: OpenMode,
    _copy: Option<tempfile::TempDir>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    ReadOnly,
    Immutable,
    Copy,
}

/// The files SQLite may keep beside a database.
pub fn companions(path: &Path) -> [PathBuf; 3] {
    let s = path.as_os_str().to_owned();
    let with = |suffix: &str| {
        let mut p = s.clone();
        p.push(suffix);
        PathBuf::from(p)
    };
    [with("-wal"), with("-shm"), with("-journal")]
}

/// The number of frames committed to a database's WAL, read from the wal-index header at the
/// start of its `-shm` (`mxFrame`, a native-endian u32 at byte 16), or `None` without one.
///
/// A writer appends its frames to the `-wal` first and publishes the commit in the wal-index
/// after: a scan that looks at the `-wal`'s size between the two sees the new bytes but reads a
/// snapshot without them. Size and time alone would then call the database unchanged at the next
/// scan and the commit would never be read; the committed frame count tells them apart.
pub fn wal_frames(path: &Path) -> Option<u32> {
    use std::io::Read;
    let [_, shm, _] = companions(path);
    let mut header = [0u8; 20];
    std::fs::File::open(shm).ok()?.read_exact(&mut header).ok()?;
    Some(u32::from_ne_bytes([header[16], header[17], header[18], header[19]]))
}

/// Whether a file is a companion (`-wal`, `-shm`, `-journal`) of a database beside it.
pub fn is_companion(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default();
    [&b"-wal"[..], b"-shm", b"-journal"].iter().any(|s| name.ends_with(s))
}

/// How long a read waits for the tool's own write lock (only `mode=ro` can meet one).
const BUSY: std::time::Duration = std::time::Duration::from_millis(2000);

/// Opens `path` read-only by the rules above and checks it is a readable SQLite database.
/// The error is a sentence naming the file.
pub fn open(path: &Path) -> Result<Db, String> {
    let [wal, shm, journal] = companions(path);
    let (wal, shm, journal) = (wal.exists(), shm.exists(), journal.exists());
    let (conn, mode, copy) = if wal && shm && !journal {
        (open_uri(path, "mode=ro")?, OpenMode::ReadOnly, None)
    } else if !wal && !shm && !journal {
        (open_uri(path, "immutable=1")?, OpenMode::Immutable, None)
    } else {
        let dir = tempfile::Builder::new()
            .prefix("tokenworth-db-")
            .tempdir()
            .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        let name = path.file_name().unwrap_or_default();
        let dst = dir.path().join(name);
        std::fs::copy(path, &dst).map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        for (src, dst) in companions(path).iter().zip(companions(&dst).iter()) {
            if src.exists() && !src.to_string_lossy().ends_with("-shm") {
                std::fs::copy(src, dst).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
            }
        }
        let conn = Connection::open(&dst).map_err(|e| describe(path, &e))?;
        (conn, OpenMode::Copy, Some(dir))
    };
    conn.busy_timeout(BUSY).map_err(|e| describe(path, &e))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|e| describe(path, &e))?;
    Ok(Db { conn, mode, _copy: copy })
}

fn open_uri(path: &Path, query: &str) -> Result<Connection, String> {
    let uri = format!("file:{}?{query}", encode(path));
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| describe(path, &e))
}

/// Percent-encodes what a URI filename cannot hold literally.
fn encode(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' | '?' | '#' | ' ' => out.push_str(&format!("%{:02X}", c as u32)),
            _ => out.push(c),
        }
    }
    if cfg!(windows) && !out.starts_with('/') {
        out.insert(0, '/');
    }
    out
}

/// A sentence for a database that could not be read.
pub fn describe(path: &Path, e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => format!(
            "{} is not a SQLite database (or is encrypted); skipped, nothing else is affected",
            path.display()
        ),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            format!("{} is locked by its tool; it will be read at its next change", path.display())
        }
        Some(ErrorCode::DatabaseCorrupt) => format!("{} is corrupt; skipped", path.display()),
        _ => format!("cannot read database {}: {e}", path.display()),
    }
}

/// The column names of a table (empty when there is no such table), so a source can read the
/// versions of a tool's schema it knows and skip a column that a version lacks.
pub fn columns(db: &Connection, table: &str) -> Result<std::collections::HashSet<String>, rusqlite::Error> {
    let mut stmt = db.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let names = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    names.collect()
}

/// What a database source keeps between reads of changed rows: a watermark (the largest update
/// time seen) and the rows that looked like usage but could not be read, by id, so the drift
/// count stays true when only changed rows are read (a row read again and now readable leaves
/// the set).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct RowState<W> {
    pub mark: Option<W>,
    #[serde(default)]
    pub unreadable: std::collections::BTreeSet<String>,
}

impl<W: serde::Serialize + serde::de::DeserializeOwned> RowState<W> {
    /// The saved state, or an empty one (read everything) when there is none or it is of
    /// another version.
    pub fn load(state: Option<&str>) -> RowState<W> {
        state
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(RowState { mark: None, unreadable: Default::default() })
    }

    /// Records whether row `id` could be read this time.
    pub fn note(&mut self, id: &str, unreadable: bool) {
        if unreadable {
            self.unreadable.insert(id.to_owned());
        } else {
            self.unreadable.remove(id);
        }
    }

    /// The state to save, and the number of unreadable rows to report.
    pub fn save(&self) -> (Option<String>, u64) {
        (serde_json::to_string(self).ok(), self.unreadable.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Names, sizes and modification times of every file in a folder.
    fn listing(dir: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                (e.file_name().to_string_lossy().into_owned(), (m.len(), m.modified().unwrap()))
            })
            .collect()
    }

    #[test]
    fn wal_frames_counts_the_committed_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        assert_eq!(wal_frames(&path), None);
        let w = wal_writer(&path, 3);
        // Every frame in this WAL is committed (never checkpointed, so never restarted): a
        // 32-byte header, then frames of a 24-byte header and one page each.
        let page: u64 = w.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap() as u64;
        let frames =
            || ((std::fs::metadata(companions(&path)[0].clone()).unwrap().len() - 32) / (page + 24)) as u32;
        let before = frames();
        assert!(before > 0);
        assert_eq!(wal_frames(&path), Some(before));
        w.execute("INSERT INTO t VALUES (99)", []).unwrap();
        let after = frames();
        assert!(after > before);
        assert_eq!(wal_frames(&path), Some(after));
    }

    fn rows(db: &Db) -> i64 {
        db.conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    /// A writer in WAL mode that never checkpoints, with `n` rows committed in the WAL only.
    fn wal_writer(path: &Path, n: i64) -> Connection {
        let w = Connection::open(path).unwrap();
        w.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x);").unwrap();
        for i in 0..n {
            w.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
        }
        w
    }

    /// Waits until the clock's next tick, so a file written by a read would show a new mtime.
    fn tick() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    #[test]
    fn reads_rows_committed_only_in_the_wal_while_the_writer_is_open() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("tool.db");
        let w = wal_writer(&path, 5);
        let db = open(&path).unwrap();
        assert_eq!(db.mode, OpenMode::ReadOnly);
        assert_eq!(rows(&db), 5);
        // More rows while the reader's connection stays open: a new read sees them.
        w.execute("INSERT INTO t VALUES (99)", []).unwrap();
        assert_eq!(rows(&db), 6);
        drop(db);
        assert_eq!(rows(&open(&path).unwrap()), 6);
    }

    #[test]
    fn no_mode_writes_beside_the_database() {
        let tmp = tempfile::tempdir().unwrap();
        // Immutable: a database nobody has open.
        let closed = tmp.path().join("closed");
        std::fs::create_dir(&closed).unwrap();
        drop(wal_writer(&closed.join("a.db"), 3)); // the last close checkpoints and removes the WAL
                                                   // Read-only: the tool is running (its -wal and -shm exist).
        let running = tmp.path().join("running");
        std::fs::create_dir(&running).unwrap();
        let _w = wal_writer(&running.join("a.db"), 3);
        // Copy: a -wal left without its -shm (the tool crashed and the -shm was removed).
        let crashed = tmp.path().join("crashed");
        std::fs::create_dir(&crashed).unwrap();
        for f in ["a.db", "a.db-wal"] {
            std::fs::copy(running.join(f), crashed.join(f)).unwrap();
        }
        for (dir, mode) in
            [(&closed, OpenMode::Immutable), (&running, OpenMode::ReadOnly), (&crashed, OpenMode::Copy)]
        {
            let before = listing(dir);
            tick();
            let db = open(&dir.join("a.db")).unwrap();
            assert_eq!(db.mode, mode, "{}", dir.display());
            assert_eq!(rows(&db), 3, "{mode:?}");
            drop(db);
            tick();
            assert_eq!(listing(dir), before, "{mode:?} changed the folder of the database");
        }
    }

    #[test]
    fn bad_databases_are_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        // Random bytes: not a database.
        let junk = tmp.path().join("junk.db");
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect()
        };
        std::fs::write(&junk, random(3000)).unwrap();
        let e = open(&junk).err().unwrap();
        assert!(e.contains("junk.db") && e.contains("not a SQLite database"), "{e}");
        // Encrypted-looking: whole pages of random bytes, no SQLite header.
        let enc = tmp.path().join("enc.db");
        std::fs::write(&enc, random(4096 * 4)).unwrap();
        let e = open(&enc).err().unwrap();
        assert!(e.contains("enc.db") && e.contains("encrypted"), "{e}");
        // Empty file: SQLite sees an empty database; no tables, no error.
        let empty = tmp.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        assert!(open(&empty).is_ok());
    }

    #[test]
    fn a_database_locked_by_an_exclusive_writer_is_an_error_or_a_consistent_copy() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("locked.db");
        let w = wal_writer(&path, 2);
        // An exclusive writer in the middle of a transaction (rows 3..5 not committed).
        w.execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO t VALUES (3);").unwrap();
        let started = std::time::Instant::now();
        match open(&path) {
            // Read through a copy or a snapshot: only committed rows.
            Ok(db) => assert_eq!(rows(&db), 2),
            Err(e) => assert!(e.contains("locked.db") && e.contains("locked"), "{e}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        w.execute_batch("COMMIT;").unwrap();
    }
}
